import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ImagePreprocessSpec } from '@harma/core';
import { readSafetensors } from '@harma/core';
import { expectAllClose } from '@harma/core/testing';
import { fixturePath } from '@harma/test-support';
import { decodeImage } from './decode-image';
import { normalizePixels } from './normalize-pixels';
import { ImageDecodeError } from './image-decode-error';
import { preprocessImage, resizedSize } from './preprocess-image';
import { resizeBicubic, resizeBilinear } from './resize-pillow';
import { resizeWithSharp } from './resize-sharp';
import type { RgbImage } from './rgb-image';

const DIR = fixturePath('golden', 'preprocess');
const INDEX = JSON.parse(readFileSync(`${DIR}/index.json`, 'utf8')) as { order: string[]; mean: [number, number, number]; std: [number, number, number] };
const ORDER = INDEX.order;
const EIGHT_BIT = ORDER.filter((name) => name !== 'ramp_gray16.tif');
const SIZE = 224;
const PLANE = SIZE * SIZE * 3;
// The fixture's own normalisation (CLIP's).
const SPEC: ImagePreprocessSpec = { size: SIZE, mean: INDEX.mean, std: INDEX.std, resize: 'squash', interpolation: 'bicubic' };
// Largest difference measured between libvips' bicubic and Pillow's on these images (9 steps, on the
// JPEG's sharp edges) with a margin; see docs/preprocessing.md.
const SHARP_MAX_STEPS = 10;
const SHARP_MEAN_STEPS = 0.4;

let resizedU8: Uint8Array;
let images: Float32Array;

function expectedPixels(name: string): Uint8Array {
  const i = ORDER.indexOf(name);
  return resizedU8.subarray(i * PLANE, (i + 1) * PLANE);
}

function expectedTensor(name: string): Float32Array {
  const i = ORDER.indexOf(name);
  return images.subarray(i * PLANE, (i + 1) * PLANE);
}

function steps(actual: Uint8Array, expected: Uint8Array): { max: number; mean: number } {
  let max = 0;
  let sum = 0;
  for (let k = 0; k < expected.length; k++) {
    const d = Math.abs((actual[k] as number) - (expected[k] as number));
    sum += d;
    if (d > max) max = d;
  }
  return { max, mean: sum / expected.length };
}

beforeAll(async () => {
  const { tensors } = await readSafetensors(`${DIR}/expected.safetensors`);
  resizedU8 = tensors.get('resized_u8')?.data as Uint8Array;
  images = tensors.get('images')?.data as Float32Array;
  expect(resizedU8).toHaveLength(ORDER.length * PLANE);
});

describe('the paper\'s test transform on the golden images (8-bit)', () => {
  it.each(EIGHT_BIT)('%s: the Pillow port reproduces the resized pixels exactly', async (name) => {
    const resized = resizeBicubic(await decodeImage(`${DIR}/${name}`), SIZE, SIZE);
    expect(steps(resized.data, expectedPixels(name))).toEqual({ max: 0, mean: 0 });
  });

  it.each(EIGHT_BIT)('%s: preprocessImage gives the expected tensor within 1e-6', async (name) => {
    expectAllClose(await preprocessImage(`${DIR}/${name}`, SPEC), expectedTensor(name), { atol: 1e-6 }, name);
  });

  it.each(EIGHT_BIT)(`%s: sharp's bicubic stays within ${SHARP_MAX_STEPS} steps`, async (name) => {
    const resized = await resizeWithSharp(await decodeImage(`${DIR}/${name}`), SIZE, SIZE);
    const { max, mean } = steps(resized.data, expectedPixels(name));
    expect(max).toBeLessThanOrEqual(SHARP_MAX_STEPS);
    expect(mean).toBeLessThanOrEqual(SHARP_MEAN_STEPS);
    const tensor = await preprocessImage(`${DIR}/${name}`, SPEC, { resizer: 'sharp' });
    expectAllClose(tensor, expectedTensor(name), { atol: SHARP_MAX_STEPS / 255 / Math.min(...SPEC.std) + 1e-6 }, name);
  });
});

describe('ramp_gray16.tif: 16-bit images are scaled, not clipped (differs from the fixture by design)', () => {
  const file = `${DIR}/ramp_gray16.tif`;

  it('equals the correctly scaled 8-bit image, resized', async () => {
    // The samples as stored, read without our decoder, scaled v·255/65535 and rounded, grey replicated.
    const { data, info } = await sharp(file).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
    const samples = new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2);
    expect(info.channels).toBe(1);
    const scaled: RgbImage = {
      data: Uint8Array.from(Array.from(samples).flatMap((v) => {
        const u8 = Math.round((v * 255) / 65535);
        return [u8, u8, u8];
      })),
      width: info.width,
      height: info.height,
    };
    const expected = normalizePixels(resizeBicubic(scaled, SIZE, SIZE), SPEC);
    expectAllClose(await preprocessImage(file, SPEC), expected, { atol: 0 }, 'ramp_gray16');
  });

  it('keeps the ramp where Pillow clipped it to mostly white', async () => {
    const ours = resizeBicubic(await decodeImage(file), SIZE, SIZE).data;
    const white = (pixels: Uint8Array): number => pixels.filter((v) => v === 255).length / pixels.length;
    expect(white(expectedPixels('ramp_gray16.tif'))).toBeGreaterThan(0.9);
    expect(white(ours)).toBeLessThan(0.05);
    const mean = ours.reduce((a, v) => a + v, 0) / ours.length;
    expect(mean).toBeGreaterThan(100);
    expect(mean).toBeLessThan(155);
  });
});

describe('preprocessImage options', () => {
  const file = `${DIR}/gradient_rgb.png`;

  it('shortest-side-crop resizes the short side to size and crops the centre', async () => {
    // 300×256 → short side 224, long side int(224·300/256) = 262; left offset round(38 / 2) = 19.
    const resized = resizeBicubic(await decodeImage(file), 262, SIZE);
    const cropped = new Uint8Array(PLANE);
    for (let y = 0; y < SIZE; y++) cropped.set(resized.data.subarray((y * 262 + 19) * 3, (y * 262 + 19 + SIZE) * 3), y * SIZE * 3);
    const expected = normalizePixels({ data: cropped, width: SIZE, height: SIZE }, SPEC);
    expectAllClose(await preprocessImage(file, { ...SPEC, resize: 'shortest-side-crop' }), expected, { atol: 0 });
  });

  it('bilinear interpolation uses the bilinear port', async () => {
    const expected = normalizePixels(resizeBilinear(await decodeImage(file), 96, 96), SPEC);
    expectAllClose(await preprocessImage(file, { ...SPEC, size: 96, interpolation: 'bilinear' }), expected, { atol: 0 });
  });

  it('returns [3, size, size] floats for a non-square size', async () => {
    expect(await preprocessImage(file, { ...SPEC, size: 32 })).toHaveLength(3 * 32 * 32);
  });

  it('holds the resized image before the crop to the pixel limit: an extreme aspect ratio is refused, not blown up', async () => {
    // 3000 × 1 with the shortest side to 24: 72,000 × 24 = 1,728,000 pixels on the way to 24 × 24.
    expect(resizedSize(3000, 1, { size: 24, resize: 'shortest-side-crop' })).toEqual([72_000, 24]);
    expect(resizedSize(1, 3000, { size: 24, resize: 'squash' })).toEqual([24, 24]);
    const wide = await sharp(Buffer.alloc(3000, 128), { raw: { width: 3000, height: 1, channels: 1 } }).png().toBuffer();
    const crop = { ...SPEC, size: 24, resize: 'shortest-side-crop' as const };
    await expect(preprocessImage(wide, crop, { maxPixels: 1_000_000, name: 'wide.png' })).rejects.toThrow(
      new ImageDecodeError('wide.png', '3000×1 resized for the model (shortest side to 24) would be 72000×24 = 1728000 pixels, which exceeds maxPixels 1000000 (an extreme aspect ratio)'),
    );
    expect(await preprocessImage(wide, crop, { maxPixels: 2_000_000 })).toHaveLength(3 * 24 * 24);
    expect(await preprocessImage(wide, { ...crop, resize: 'squash' }, { maxPixels: 1_000_000 })).toHaveLength(3 * 24 * 24);
  });
});
