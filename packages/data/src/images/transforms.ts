import { SeededRandom, type ImagePreprocessSpec } from '@harma/core';
import { cropImage, flipHorizontal } from './crop-flip';
import { normalizePixels } from './normalize-pixels';
import { randAugment, type RandAugmentOptions } from './rand-augment';
import { randomResizedCropBox, type RandomResizedCropOptions } from './random-resized-crop';
import { resizeBicubic } from './resize-pillow';
import type { RgbImage } from './rgb-image';

/** The paper's training augmentation; each part can be changed or switched off. */
export interface TrainAugmentation {
  /** RandomResizedCrop (default scale [0.5, 1], ratio [3/4, 4/3]); false: squash-resize the whole image. */
  crop?: RandomResizedCropOptions | false;
  /** Chance of a horizontal flip (default 0.5). */
  flip?: number;
  /** RandAugment (default N = 2, M = 7 over the paper's ten operations); false: none. */
  randAugment?: RandAugmentOptions | false;
}

/** How images become network input: the paper's train or test transform, then normalisation. */
export interface ImageTransformSpec {
  /** `train`: RandomResizedCrop + flip + RandAugment; `test`: squash resize (the paper's evaluation). */
  mode: 'train' | 'test';
  /** Output side in pixels (default 224). */
  size: number;
  /** Per-channel mean and std on the 0..1 scale: the backbone's (its `preprocess` spec's). */
  mean: [number, number, number];
  std: [number, number, number];
  /** Training augmentation (train mode only; default the paper's). */
  augmentation: TrainAugmentation;
}

/**
 * What a caller gives for an `ImageTransformSpec`: `mean` and `std` always, from the preprocessing
 * spec of the backbone the pixels are for (`backbone.preprocess`); `mode` (default `train`), `size`
 * (default 224) and `augmentation` (default the paper's) may be left out.
 */
export type ImageTransformOptions = Pick<ImagePreprocessSpec, 'mean' | 'std'> & Partial<Pick<ImageTransformSpec, 'mode' | 'size' | 'augmentation'>>;

function checkChannels(values: unknown, name: 'mean' | 'std'): [number, number, number] {
  if (!Array.isArray(values) || values.length !== 3 || !values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new TypeError(`image transform: ${name} must be three finite numbers (take it from the backbone's preprocess spec), got ${JSON.stringify(values)}`);
  }
  return [values[0] as number, values[1] as number, values[2] as number];
}

/** Fill in the defaults of a transform spec (`mode` default `train`, size 224); mean and std come from the caller. */
export function imageTransformSpec(options: ImageTransformOptions): ImageTransformSpec {
  const size = options.size ?? 224;
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`transform size must be a positive integer, got ${size}`);
  return {
    mode: options.mode ?? 'train',
    size,
    mean: checkChannels(options.mean, 'mean'),
    std: checkChannels(options.std, 'std'),
    augmentation: options.augmentation ?? {},
  };
}

/**
 * The paper's training transform on RGB u8: RandomResizedCrop(size, scale 0.5–1, bicubic as
 * Pillow), horizontal flip with probability 0.5, RandAugment(2, 7). Same image and seed, same result.
 */
export function trainTransform(image: RgbImage, size: number, rng: SeededRandom, augmentation: TrainAugmentation = {}): RgbImage {
  let current: RgbImage;
  if (augmentation.crop === false) {
    current = resizeBicubic(image, size, size);
  } else {
    const box = randomResizedCropBox(image.width, image.height, rng, augmentation.crop ?? {});
    current = resizeBicubic(cropImage(image, box.left, box.top, box.width, box.height), size, size);
  }
  if (rng.next() < (augmentation.flip ?? 0.5)) current = flipHorizontal(current);
  if (augmentation.randAugment !== false) current = randAugment(current, rng, augmentation.randAugment ?? {}).image;
  return current;
}

/** The paper's test transform: resize to size × size, aspect ratio not kept, bicubic as Pillow. */
export function testTransform(image: RgbImage, size: number): RgbImage {
  return image.width === size && image.height === size ? image : resizeBicubic(image, size, size);
}

/**
 * Transform and normalise one decoded image → Float32Array [3, size, size]. `seed` names the
 * sample's own random stream (train mode), so a result does not depend on which thread made it.
 */
export function transformImage(image: RgbImage, spec: ImageTransformSpec, seed: string): Float32Array {
  const pixels = spec.mode === 'train' ? trainTransform(image, spec.size, new SeededRandom(seed), spec.augmentation) : testTransform(image, spec.size);
  return normalizePixels(pixels, spec);
}
