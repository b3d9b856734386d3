import sharp from 'sharp';
import { assertRgbImage, type RgbImage } from './rgb-image';

/**
 * Resize 8-bit RGB with libvips (sharp): `cubic` is the same Catmull-Rom kernel (a = −0.5) as
 * Pillow's bicubic, `linear` the same triangle, but libvips computes in its own fixed point and
 * rounds once per pass differently, so results differ from Pillow by a few 1/255 steps
 * (docs/preprocessing.md has the measured figures). Faster than the Pillow port on large images.
 */
export async function resizeWithSharp(image: RgbImage, width: number, height: number, interpolation: 'bicubic' | 'bilinear' = 'bicubic'): Promise<RgbImage> {
  assertRgbImage(image, 'resizeWithSharp');
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`resizeWithSharp: target size must be positive integers, got ${width}×${height}`);
  }
  const input = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  const { data, info } = await sharp(input, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { kernel: interpolation === 'bicubic' ? 'cubic' : 'linear', fit: 'fill', fastShrinkOnLoad: false })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== width || info.height !== height || info.channels !== 3) {
    throw new Error(`resizeWithSharp: libvips returned ${info.width}×${info.height}×${info.channels}, expected ${width}×${height}×3`);
  }
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height };
}
