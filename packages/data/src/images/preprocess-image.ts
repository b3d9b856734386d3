import type { ImagePreprocessSpec } from '@harma/core';
import { centerCrop } from './crop-flip';
import { decodeImage } from './decode-image';
import { normalizePixels } from './normalize-pixels';
import { resizeBicubic, resizeBilinear } from './resize-pillow';
import { resizeWithSharp } from './resize-sharp';
import type { RgbImage } from './rgb-image';

/** Which implementation resizes: the exact Pillow port (default) or libvips through sharp. */
export type Resizer = 'pillow' | 'sharp';

export interface PreprocessOptions {
  /** Default: `pillow`, the paper's preprocessing bit for bit; `sharp` is faster on large images and differs by a few 1/255 steps. */
  resizer?: Resizer;
  /** Passed to `decodeImage`. Default: 64,000,000. */
  maxPixels?: number;
  /** Name for error messages when the source is bytes. */
  name?: string;
}

/** Resize with the chosen implementation and interpolation. */
export async function resizeImage(image: RgbImage, width: number, height: number, options: { interpolation?: ImagePreprocessSpec['interpolation']; resizer?: Resizer } = {}): Promise<RgbImage> {
  const interpolation = options.interpolation ?? 'bicubic';
  if ((options.resizer ?? 'pillow') === 'sharp') return resizeWithSharp(image, width, height, interpolation);
  return interpolation === 'bicubic' ? resizeBicubic(image, width, height) : resizeBilinear(image, width, height);
}

/**
 * Resize per the spec: `squash` resizes to size × size ignoring the aspect ratio (the paper's test
 * transform); `shortest-side-crop` resizes the shortest side to `size` (the other to
 * `int(size · long / short)`, as torchvision) and crops the centre (CLIP's transform).
 */
export async function resizeForSpec(image: RgbImage, spec: Pick<ImagePreprocessSpec, 'size' | 'resize' | 'interpolation'>, resizer: Resizer = 'pillow'): Promise<RgbImage> {
  const { size } = spec;
  if (!Number.isInteger(size) || size < 1) throw new Error(`resizeForSpec: size must be a positive integer, got ${size}`);
  const options = { interpolation: spec.interpolation, resizer };
  if (spec.resize === 'squash') return resizeImage(image, size, size, options);
  const { width, height } = image;
  const short = Math.min(width, height);
  const long = Math.max(width, height);
  const newLong = Math.trunc((size * long) / short);
  const [newWidth, newHeight] = width <= height ? [size, newLong] : [newLong, size];
  return centerCrop(await resizeImage(image, newWidth, newHeight, options), size, size);
}

/** Decode, resize per `spec` and normalise: Float32Array [3, size, size] (CHW). */
export async function preprocessImage(source: string | Uint8Array, spec: ImagePreprocessSpec, options: PreprocessOptions = {}): Promise<Float32Array> {
  const decoded = await decodeImage(source, { maxPixels: options.maxPixels, name: options.name });
  return normalizePixels(await resizeForSpec(decoded, spec, options.resizer), spec);
}
