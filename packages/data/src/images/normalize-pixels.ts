import type { ImagePreprocessSpec } from '@harma/core';
import { assertRgbImage, type RgbImage } from './rgb-image';

/**
 * RGB u8 → Float32Array [3, height, width] (CHW): `(v / 255 − mean) / std`, with the float32
 * rounding of torchvision's `ToTensor` + `Normalize` at each step, so the values match PyTorch's.
 */
export function normalizePixels(image: RgbImage, spec: Pick<ImagePreprocessSpec, 'mean' | 'std'>): Float32Array {
  assertRgbImage(image, 'normalizePixels');
  const { width, height, data } = image;
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const mean = Math.fround(spec.mean[c] as number);
    const std = Math.fround(spec.std[c] as number);
    if (!(std > 0)) throw new Error(`normalizePixels: std[${c}] must be positive, got ${spec.std[c]}`);
    // 256 possible inputs per channel: a lookup table of the float32 results.
    const table = new Float32Array(256);
    for (let v = 0; v < 256; v++) table[v] = Math.fround(Math.fround(Math.fround(v / 255) - mean) / std);
    for (let p = 0; p < plane; p++) out[c * plane + p] = table[data[p * 3 + c] as number] as number;
  }
  return out;
}
