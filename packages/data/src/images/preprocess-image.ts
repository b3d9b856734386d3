import type { ImagePreprocessSpec } from '@harma/core';
import { centerCrop } from './crop-flip';
import { decodeImage, DEFAULT_MAX_PIXELS, type DecodedImage } from './decode-image';
import { ImageDecodeError } from './image-decode-error';
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
 * The size `resizeForSpec` resizes an image of `width` × `height` to before any crop: size × size
 * for `squash`; for `shortest-side-crop` the shortest side becomes `size` and the other
 * `int(size · long / short)`, as torchvision computes it.
 */
export function resizedSize(width: number, height: number, spec: Pick<ImagePreprocessSpec, 'size' | 'resize'>): [number, number] {
  const { size } = spec;
  if (spec.resize === 'squash') return [size, size];
  const short = Math.min(width, height);
  const long = Math.max(width, height);
  const newLong = Math.trunc((size * long) / short);
  return width <= height ? [size, newLong] : [newLong, size];
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
  const [newWidth, newHeight] = resizedSize(image.width, image.height, spec);
  if (spec.resize === 'squash') return resizeImage(image, newWidth, newHeight, options);
  return centerCrop(await resizeImage(image, newWidth, newHeight, options), size, size);
}

/** An image decoded, resized and normalised for a model, with what the file was. */
export interface PreprocessedImage {
  /** [3, size, size] float32 (CHW), normalised with the spec's mean and std. */
  pixels: Float32Array;
  /** Format of the encoded image (`jpeg`, `png`, `tiff`, `webp`). */
  format: string;
  /** Size of the decoded image before resizing. */
  width: number;
  height: number;
}

/**
 * Resize a decoded image per `spec` and normalise it. The resized image before the centre crop
 * is held to the same pixel limit as the decoded one: with `shortest-side-crop`, a 8,000,000 × 1
 * image would otherwise become 192,000,000 × 24 pixels on the way to 24 × 24.
 */
export async function preprocessDecoded(decoded: DecodedImage, spec: ImagePreprocessSpec, options: PreprocessOptions = {}): Promise<PreprocessedImage> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const [width, height] = resizedSize(decoded.width, decoded.height, spec);
  if (width * height > maxPixels) {
    throw new ImageDecodeError(
      options.name ?? '<buffer>',
      `${decoded.width}×${decoded.height} resized for the model (shortest side to ${spec.size}) would be ${width}×${height} = ${width * height} pixels, which exceeds maxPixels ${maxPixels} (an extreme aspect ratio)`,
    );
  }
  const pixels = normalizePixels(await resizeForSpec(decoded, spec, options.resizer), spec);
  return { pixels, format: decoded.original.format, width: decoded.width, height: decoded.height };
}

/** Decode, resize per `spec` and normalise: Float32Array [3, size, size] (CHW). */
export async function preprocessImage(source: string | Uint8Array, spec: ImagePreprocessSpec, options: PreprocessOptions = {}): Promise<Float32Array> {
  const decoded = await decodeImage(source, { maxPixels: options.maxPixels, name: options.name });
  return (await preprocessDecoded(decoded, spec, { ...options, name: options.name ?? (typeof source === 'string' ? source : undefined) })).pixels;
}
