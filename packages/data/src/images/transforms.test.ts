import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@harma/core';
import type { RgbImage } from './rgb-image';
import { imageTransformSpec, testTransform, trainTransform, transformImage } from './transforms';

// A backbone's own statistics (not CLIP's), so the test shows the spec's values are the ones used.
const MEAN: [number, number, number] = [0.3, 0.5, 0.7];
const STD: [number, number, number] = [0.2, 0.25, 0.4];

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

  it('normalises to [3, size, size] with the mean and std of the spec (checked in double precision)', () => {
    const square = noise(6, 6, 4);
    const pixels = transformImage(square, imageTransformSpec({ mode: 'test', size: 6, mean: MEAN, std: STD }), 'unused');
    expect(pixels).toHaveLength(3 * 36);
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < 36; p++) {
        const expected = ((square.data[p * 3 + c] as number) / 255 - (MEAN[c] as number)) / (STD[c] as number);
        expect(Math.abs((pixels[c * 36 + p] as number) - expected)).toBeLessThan(1e-5);
      }
    }
  });

  it('fills in mode, size and augmentation, and requires mean and std from the caller', () => {
    expect(imageTransformSpec({ mean: MEAN, std: STD })).toEqual({ mode: 'train', size: 224, mean: MEAN, std: STD, augmentation: {} });
    const preprocess = { size: 32, mean: MEAN, std: STD, resize: 'squash', interpolation: 'bicubic' } as const;
    expect(imageTransformSpec({ ...preprocess, mode: 'test' })).toMatchObject({ mode: 'test', size: 32, mean: MEAN, std: STD });
    expect(() => imageTransformSpec({ std: STD } as never)).toThrow(/mean must be three finite numbers/);
    expect(() => imageTransformSpec({ mean: MEAN, std: [1, 1] } as never)).toThrow(/std must be three finite numbers/);
  });
});
