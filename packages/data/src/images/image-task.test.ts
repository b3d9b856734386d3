import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runImageTask } from './image-task';
import type { RgbImage } from './rgb-image';
import { imageTransformSpec, transformImage } from './transforms';

const WIDTH = 40;
const HEIGHT = 30;
const spec = imageTransformSpec({ mode: 'train', size: 24, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });

/** 16-bit samples v·257 + an offset below 128 (kept within 65535), so round(v16·255/65535) = v: every 8-bit value occurs. */
function samples16(channels: number): { values: Uint16Array; eight: Uint8Array } {
  const values = new Uint16Array(WIDTH * HEIGHT * channels);
  const eight = new Uint8Array(WIDTH * HEIGHT * channels);
  for (let i = 0; i < values.length; i++) {
    eight[i] = (i * 53 + 7) % 256;
    values[i] = Math.min(65535, (eight[i] as number) * 257 + ((i * 11) % 128));
  }
  return { values, eight };
}

/** The documented conversion to 8-bit RGB: grey replicated, alpha dropped (not composited). */
function documentedRgb(eight: Uint8Array, channels: number): RgbImage {
  const data = new Uint8Array(WIDTH * HEIGHT * 3);
  for (let p = 0; p < WIDTH * HEIGHT; p++) for (let c = 0; c < 3; c++) data[p * 3 + c] = eight[p * channels + (channels <= 2 ? 0 : c)] as number;
  return { data, width: WIDTH, height: HEIGHT };
}

describe('runImageTask: 16-bit and 4-channel images are converted as documented, then augmented', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'harma-image-task-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['16-bit RGBA png', 4, 16, 'png'],
    ['16-bit grey tif', 1, 16, 'tif'],
    ['8-bit RGBA tif', 4, 8, 'tif'],
  ] as const)('%s: the train transform sees the documented 8-bit RGB (round(v·255/65535), grey replicated, alpha dropped)', async (label, channels, bits, format) => {
    const { values, eight } = samples16(channels);
    const file = path.join(dir, `${label.replaceAll(' ', '-')}.${format}`);
    const image =
      bits === 16
        ? sharp(values, { raw: { width: WIDTH, height: HEIGHT, channels } }).toColourspace(channels === 1 ? 'grey16' : 'rgb16')
        : sharp(eight, { raw: { width: WIDTH, height: HEIGHT, channels } });
    await (format === 'png' ? image.png() : image.tiff({ compression: 'lzw' })).toFile(file);
    const rgb = documentedRgb(eight, channels);
    for (let sample = 0; sample < 6; sample++) {
      const seed = `task/epoch0/sample${sample}`;
      const result = await runImageTask({ path: file, spec, seed, returnDecoded: true });
      if (!('pixels' in result)) throw new Error(result.error);
      expect(Buffer.from(result.decoded?.data ?? []).equals(Buffer.from(rgb.data))).toBe(true);
      expect(Array.from(result.pixels)).toEqual(Array.from(transformImage(rgb, spec, seed)));
    }
  });
});
