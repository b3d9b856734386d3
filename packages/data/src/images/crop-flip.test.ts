import { describe, expect, it } from 'vitest';
import { centerCrop, cropImage, flipHorizontal } from './crop-flip';
import type { RgbImage } from './rgb-image';

/** One row whose pixels hold their own x in every channel. */
function ramp(width: number, height = 1): RgbImage {
  return { data: Uint8Array.from({ length: width * height * 3 }, (_, i) => Math.floor(i / 3) % width), width, height };
}

const firstColumn = (image: RgbImage): number => image.data[0] as number;

describe('cropImage', () => {
  it('copies the rectangle row by row', () => {
    const image: RgbImage = { data: Uint8Array.from({ length: 4 * 3 * 3 }, (_, i) => i), width: 4, height: 3 };
    const out = cropImage(image, 1, 1, 2, 2);
    expect(Array.from(out.data)).toEqual([15, 16, 17, 18, 19, 20, 27, 28, 29, 30, 31, 32]);
  });

  it('refuses a rectangle outside the image', () => {
    expect(() => cropImage(ramp(4), 3, 0, 2, 1)).toThrow(/outside the 4x1 image/);
  });
});

describe('centerCrop', () => {
  it("uses torchvision's offsets, round((W − w) / 2) with ties to even", () => {
    // (5 − 2) / 2 = 1.5 → 2, (7 − 2) / 2 = 2.5 → 2, (9 − 2) / 2 = 3.5 → 4, (6 − 2) / 2 = 2.
    expect([5, 7, 9, 6].map((width) => firstColumn(centerCrop(ramp(width), 2, 1)))).toEqual([2, 2, 4, 2]);
    const tall = centerCrop({ data: Uint8Array.from({ length: 7 * 3 }, (_, i) => Math.floor(i / 3)), width: 1, height: 7 }, 1, 2);
    expect(Array.from(tall.data)).toEqual([2, 2, 2, 3, 3, 3]);
  });

  it('refuses a crop larger than the image', () => {
    expect(() => centerCrop(ramp(4), 5, 1)).toThrow(/5×1 does not fit in a 4×1 image/);
  });
});

describe('flipHorizontal', () => {
  it('mirrors every row and keeps the channels together', () => {
    const image: RgbImage = { data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), width: 2, height: 2 };
    expect(Array.from(flipHorizontal(image).data)).toEqual([4, 5, 6, 1, 2, 3, 10, 11, 12, 7, 8, 9]);
  });
});
