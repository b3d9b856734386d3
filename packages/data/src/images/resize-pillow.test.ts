import { beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors, type HostTensor } from '@harma/core';
import { fixturePath } from '@harma/test-support';
import { resizeBicubic, resizeBilinear } from './resize-pillow';
import type { RgbImage } from './rgb-image';

/** A one-row grey image from its values. */
function row(values: number[]): RgbImage {
  return { data: Uint8Array.from(values.flatMap((v) => [v, v, v])), width: values.length, height: 1 };
}

function grey(image: RgbImage): number[] {
  return Array.from({ length: image.width * image.height }, (_, i) => image.data[i * 3] as number);
}

describe('resizeBicubic (Pillow port)', () => {
  it('matches a hand-computed 2 → 4 upscale', () => {
    // Output pixel 1: centre 0.75, taps at offsets −0.25 and 0.75: weights 0.8671875 and 0.2265625,
    // normalised 0.79286 / 0.20714; 255 · 0.20714 in 22-bit fixed point → 53.32 → 53. Pixel 0 needs
    // a negative weight on 255 and clips to 0; pixels 2 and 3 mirror them.
    expect(grey(resizeBicubic(row([0, 255]), 4, 1))).toEqual([0, 53, 202, 255]);
  });

  it('keeps a constant image constant when shrinking and enlarging', () => {
    const flat: RgbImage = { data: new Uint8Array(37 * 23 * 3).fill(77), width: 37, height: 23 };
    for (const [w, h] of [[10, 7], [80, 50], [37, 5]]) {
      const out = resizeBicubic(flat, w as number, h as number);
      expect([out.width, out.height]).toEqual([w, h]);
      expect(out.data.every((v) => v === 77)).toBe(true);
    }
  });

  it('keeps the channels apart', () => {
    const image: RgbImage = { data: Uint8Array.from([10, 20, 30, 10, 20, 30, 10, 20, 30]), width: 3, height: 1 };
    expect(Array.from(resizeBicubic(image, 2, 2).data)).toEqual([10, 20, 30, 10, 20, 30, 10, 20, 30, 10, 20, 30]);
  });

  it('returns a copy when the size does not change', () => {
    const image = row([1, 2, 3]);
    const out = resizeBicubic(image, 3, 1);
    expect(out.data).toEqual(image.data);
    expect(out.data).not.toBe(image.data);
  });

  it('rejects bad sizes and buffers', () => {
    expect(() => resizeBicubic(row([1, 2]), 0, 1)).toThrow(/target size/);
    expect(() => resizeBicubic({ data: new Uint8Array(5), width: 2, height: 1 }, 1, 1)).toThrow(/5 bytes for a 2×1 RGB image/);
  });
});

describe('resizeBilinear (Pillow port)', () => {
  it('matches a hand-computed 2 → 4 upscale', () => {
    // Pixel 1: weights 0.75 / 0.25 → 255 · 0.25 = 63.75, +0.5 rounding in fixed point → 64.
    expect(grey(resizeBilinear(row([0, 255]), 4, 1))).toEqual([0, 64, 191, 255]);
  });
});

describe('resizeBilinear against Pillow (fixtures/pillow-resize, Pillow 9.4.0 Image.BILINEAR)', () => {
  let tensors: Map<string, HostTensor>;
  beforeAll(async () => {
    ({ tensors } = await readSafetensors(fixturePath('pillow-resize', 'bilinear.safetensors')));
  });

  /** The fixture's RGB uint8 input of that name as an image. */
  function input(name: string): RgbImage {
    const tensor = tensors.get(name);
    if (!tensor) throw new Error(`bilinear.safetensors has no ${name}`);
    const [height, width] = tensor.shape as [number, number, 3];
    return { data: tensor.data as Uint8Array, width, height };
  }

  // Downscales by non-integer factors (the kernel widens with the scale), upscales, one axis each way, and the identity.
  it.each([
    ['rgb_37x23', 16, 10],
    ['rgb_37x23', 5, 3],
    ['rgb_37x23', 80, 50],
    ['rgb_37x23', 9, 41],
    ['rgb_37x23', 37, 23],
    ['rgb_64x48', 13, 11],
    ['rgb_64x48', 31, 24],
    ['rgb_64x48', 100, 77],
  ])('%s → %i×%i: every byte equals Pillow\'s', (name, width, height) => {
    const expected = tensors.get(`${name}.bilinear_${width}x${height}`);
    expect(expected?.shape).toEqual([height, width, 3]);
    const out = resizeBilinear(input(name), width, height);
    expect([out.width, out.height]).toEqual([width, height]);
    // Compare as arrays: a mismatch names the byte positions that differ.
    expect(Array.from(out.data)).toEqual(Array.from(expected?.data as Uint8Array));
  });
});
