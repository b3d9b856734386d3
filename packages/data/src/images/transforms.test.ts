import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@harma/core';
import { CLIP_MEAN, CLIP_STD } from '@harma/backbones';
import type { RgbImage } from './rgb-image';
import { imageTransformSpec, testTransform, trainTransform, transformImage } from './transforms';

function noise(width: number, height: number, seed: number): RgbImage {
  const rng = new SeededRandom(seed);
  return { data: Uint8Array.from({ length: width * height * 3 }, () => rng.int(256)), width, height };
}

describe('the paper transforms', () => {
  const image = noise(40, 30, 1);

  it('train transform: deterministic for a seed, size × size, different across seeds', () => {
    for (let seed = 0; seed < 10; seed++) {
      const a = trainTransform(image, 24, new SeededRandom(`t/${seed}`));
      const b = trainTransform(image, 24, new SeededRandom(`t/${seed}`));
      expect([a.width, a.height, a.data.length]).toEqual([24, 24, 24 * 24 * 3]);
      expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
    }
    const first = trainTransform(image, 24, new SeededRandom('x/0'));
    const second = trainTransform(image, 24, new SeededRandom('x/1'));
    expect(Buffer.from(first.data).equals(Buffer.from(second.data))).toBe(false);
  });

  it('train transform with a full crop, no flip and no RandAugment is the identity on a square image', () => {
    const square = noise(20, 20, 2);
    const out = trainTransform(square, 20, new SeededRandom(0), { crop: { scale: [1, 1], ratio: [1, 1] }, flip: 0, randAugment: false });
    expect(Array.from(out.data)).toEqual(Array.from(square.data));
  });

  it('a flip probability of 1 mirrors the image', () => {
    const square = noise(8, 8, 3);
    const out = trainTransform(square, 8, new SeededRandom(0), { crop: { scale: [1, 1], ratio: [1, 1] }, flip: 1, randAugment: false });
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) for (let c = 0; c < 3; c++) expect(out.data[(y * 8 + x) * 3 + c]).toBe(square.data[(y * 8 + 7 - x) * 3 + c]);
  });

  it('test transform squashes to size × size', () => {
    const out = testTransform(image, 16);
    expect([out.width, out.height]).toEqual([16, 16]);
  });

  it('normalises to [3, size, size] with the CLIP mean and std (checked in double precision)', () => {
    const square = noise(6, 6, 4);
    const pixels = transformImage(square, imageTransformSpec({ mode: 'test', size: 6 }), 'unused');
    expect(pixels).toHaveLength(3 * 36);
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < 36; p++) {
        const expected = ((square.data[p * 3 + c] as number) / 255 - (CLIP_MEAN[c] as number)) / (CLIP_STD[c] as number);
        expect(Math.abs((pixels[c * 36 + p] as number) - expected)).toBeLessThan(1e-5);
      }
    }
  });
});
