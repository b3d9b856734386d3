import type { SeededRandom } from '@harma/core';
import type { TrainingBatch } from '@harma/losses';

/**
 * A batch for the tiny test models (16×16 images unless `imageSize` says otherwise, 8-token rows
 * of a 50-word vocabulary with start 48 and end 49): random pixels and captions; `sharedImages`
 * lists [caption, image] pairs whose captions describe the same image, as a data set's captions
 * of one image do.
 */
export function randomTrainingBatch(size: number, rng: SeededRandom, sharedImages: ReadonlyArray<readonly [number, number]> = [], imageSize = 16): TrainingBatch {
  const tokens = new Int32Array(size * 8);
  for (let row = 0; row < size; row++) {
    const length = 2 + rng.int(5);
    tokens[row * 8] = 48;
    for (let i = 1; i < length; i++) tokens[row * 8 + i] = 1 + rng.int(40);
    tokens[row * 8 + length] = 49;
  }
  const imageIds = Int32Array.from({ length: size }, (_, i) => i);
  for (const [caption, image] of sharedImages) imageIds[caption] = image;
  return { pixels: rng.fillNormal(size * 3 * imageSize * imageSize), tokens, imageIds, size, imageSize };
}
