import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SeededRandom } from '@harma/core';
import sharp from 'sharp';

export type TestImageFormat = 'png' | 'jpg' | 'tif' | 'webp';

/** Bytes of a small image of random coloured blocks (distinct images for distinct seeds). */
export async function testImageBytes(seed: number | string, options: { width?: number; height?: number; format?: TestImageFormat } = {}): Promise<Buffer> {
  const width = options.width ?? 40;
  const height = options.height ?? 32;
  const rng = new SeededRandom(`test-image/${seed}`);
  const block = 8;
  const colours = Array.from({ length: Math.ceil(width / block) * Math.ceil(height / block) }, () => [0, 1, 2].map(() => Math.floor(rng.uniform() * 256)));
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const colour = colours[Math.floor(y / block) * Math.ceil(width / block) + Math.floor(x / block)] as number[];
      data.set(colour, (y * width + x) * 3);
    }
  }
  const image = sharp(data, { raw: { width, height, channels: 3 } });
  const format = options.format ?? 'png';
  if (format === 'jpg') return image.jpeg({ quality: 90 }).toBuffer();
  if (format === 'tif') return image.tiff({ compression: 'lzw' }).toBuffer();
  if (format === 'webp') return image.webp({ lossless: true }).toBuffer();
  return image.png().toBuffer();
}

/** Write `count` test images into `dir` (`img-000.png`, … in sub-folders of 50), returning their relative paths. */
export async function writeTestImages(dir: string, count: number, options: { prefix?: string; format?: TestImageFormat; seedOffset?: number } = {}): Promise<string[]> {
  const format = options.format ?? 'png';
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const relative = `${options.prefix ?? 'set'}-${Math.floor(i / 50)}/img-${String(i).padStart(4, '0')}.${format}`;
    await mkdir(path.join(dir, path.dirname(relative)), { recursive: true });
    await writeFile(path.join(dir, relative), await testImageBytes(i + (options.seedOffset ?? 0), { format }));
    paths.push(relative);
  }
  return paths;
}
