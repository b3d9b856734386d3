import { describe, expect, it } from 'vitest';
import { rotate, shearX, translateX, translateY, warpAffine } from './affine';
import type { RgbImage } from './rgb-image';

function grey(values: number[], width: number): RgbImage {
  const data = new Uint8Array(values.length * 3);
  values.forEach((v, i) => data.set([v, v, v], i * 3));
  return { data, width, height: values.length / width };
}
const channel = (image: RgbImage): number[] => Array.from(image.data.filter((_, i) => i % 3 === 0));

describe('affine warps (cv2.warpAffine semantics, grey 128 outside)', () => {
  it('translateX moves the content left by the offset', () => {
    expect(channel(translateX(grey([1, 2, 3, 4, 5], 5), 2))).toEqual([3, 4, 5, 128, 128]);
    expect(channel(translateX(grey([1, 2, 3, 4, 5], 5), -1))).toEqual([128, 1, 2, 3, 4]);
  });

  it('translateY moves the content up', () => {
    expect(channel(translateY(grey([1, 2, 3], 1), 1))).toEqual([2, 3, 128]);
  });

  it('rotate by 90° about (W/2, H/2): destination (X, Y) samples source (4 − Y, X) on a 4×4 image', () => {
    const values = Array.from({ length: 16 }, (_, i) => i * 10);
    const out = channel(rotate(grey(values, 4), 90));
    const expected: number[] = [];
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) expected.push(4 - y <= 3 ? (values[x * 4 + (4 - y)] as number) : 128);
    expect(out).toEqual(expected);
  });

  it('shearX samples x − factor·y bilinearly, mixing in the fill at the edge', () => {
    // Row 1 at factor 0.5 samples x − 0.5: averages of neighbours, (128 + 10)/2 = 69 at x = 0.
    const out = channel(shearX(grey([10, 20, 30, 40, 10, 20, 30, 40], 4), 0.5));
    expect(out).toEqual([10, 20, 30, 40, 69, 15, 25, 35]);
  });

  it("rounds source coordinates to 1/32 pixel and weights in OpenCV's fixed point, not in floating point", () => {
    // Row 1 of shearX(0.21) samples x − 0.21 (float32 0.21): OpenCV's X = (cvRound(−0.21·1024) + 16 + 1024·x) >> 5
    // puts it at sx = x − 1 with fraction 25/32 (not 0.79); value = (Σ w·v + 512) >> 10 with w = (32 − 25)·32 and 25·32:
    // x = 0: (224·128 [fill] + 800·0) → 28; x = 1: (224·0 + 800·200) → 156; x = 2: (224·200 + 800·100) → 122.
    // Floating-point bilinear gives 27, 158, 121.
    const out = channel(shearX(grey([0, 200, 100, 0, 200, 100], 3), 0.21));
    expect(out).toEqual([0, 200, 100, 28, 156, 122]);
  });

  it('fills a pixel whose four neighbours are all outside, and mixes the fill in where some are', () => {
    // translateY(−1.5) moves the content down 1.5 rows: row y samples y − 1.5. Row 0 (at −1.5) has both neighbours
    // outside → fill; row 1 (at −0.5) is half fill, half row 0: 69; row 2 (at 0.5) averages rows 0 and 1: 15.5 → 16.
    const out = channel(translateY(grey([10, 21, 40], 1), -1.5));
    expect(out).toEqual([128, 69, 16]);
  });

  it('keeps the shape, and refuses a singular matrix', () => {
    const image = grey(Array.from({ length: 12 }, (_, i) => i), 4);
    const out = rotate(image, 21);
    expect([out.width, out.height, out.data.length]).toEqual([4, 3, 36]);
    expect(() => warpAffine(image, [1, 1, 0, 1, 1, 0])).toThrow(/singular/);
  });
});
