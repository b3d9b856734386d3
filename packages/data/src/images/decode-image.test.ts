import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decode as decodeJpegJs } from 'jpeg-js';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from './decode-image';
import { ImageDecodeError } from './image-decode-error';

const WIDTH = 5;
const HEIGHT = 3;

/** A small image with distinct values in every channel of every pixel. */
function pattern(channels: number, scale = 1): number[] {
  return Array.from({ length: WIDTH * HEIGHT * channels }, (_, i) => ((i * 37 + 11) % 256) * scale);
}

function raw8(channels: 1 | 2 | 3 | 4): sharp.Sharp {
  return sharp(Buffer.from(pattern(channels)), { raw: { width: WIDTH, height: HEIGHT, channels } });
}

/** The RGB the decoder should produce: colour bands kept (grey replicated), alpha dropped. */
function expectedRgb(values: number[], channels: number, colourBands: number): number[] {
  const out: number[] = [];
  for (let p = 0; p < WIDTH * HEIGHT; p++) {
    for (let c = 0; c < 3; c++) out.push(values[p * channels + (colourBands === 1 ? 0 : c)] as number);
  }
  return out;
}

describe('decodeImage', () => {
  let folder: string;
  const file = (name: string): string => path.join(folder, name);

  beforeAll(async () => {
    folder = mkdtempSync(path.join(tmpdir(), 'harma-decode-'));
    await raw8(3).png().toFile(file('rgb.png'));
    await raw8(4).png().toFile(file('rgba.png'));
    await raw8(1).toColourspace('b-w').png().toFile(file('gray.png'));
    await raw8(2).toColourspace('b-w').png().toFile(file('gray-alpha.png'));
    await raw8(3).webp({ lossless: true }).toFile(file('rgb.webp'));
    // sharp writes JPEG-compressed TIFF unless told otherwise.
    await raw8(3).tiff({ compression: 'lzw' }).toFile(file('rgb.tif'));
    await raw8(4).tiff({ compression: 'deflate' }).toFile(file('rgba.tiff'));
    await raw8(3).gif().toFile(file('rgb.gif'));
  });

  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it.each([
    ['rgb.png', 3, 3, 'png'],
    ['rgba.png', 4, 3, 'png'],
    ['gray.png', 1, 1, 'png'],
    ['gray-alpha.png', 2, 1, 'png'],
    ['rgb.webp', 3, 3, 'webp'],
    ['rgb.tif', 3, 3, 'tiff'],
    ['rgba.tiff', 4, 3, 'tiff'],
  ] as const)('decodes %s to RGB, dropping alpha without compositing', async (name, channels, colourBands, format) => {
    const image = await decodeImage(file(name));
    expect([image.width, image.height]).toEqual([WIDTH, HEIGHT]);
    expect(Array.from(image.data)).toEqual(expectedRgb(pattern(channels), channels, colourBands));
    expect(image.original).toEqual({ format, channels, bitsPerSample: 8, hasAlpha: channels === 2 || channels === 4 });
  });

  it('decodes JPEG to the pixels an independent decoder reads', async () => {
    // Known pixels — smooth ramps in each channel, a hard diagonal edge, a checker patch — written
    // by sharp (libjpeg-turbo) without chroma subsampling, so the decoders differ only in their
    // IDCT and colour conversion; jpeg-js is a pure-JavaScript decoder of its own.
    const [width, height] = [48, 32];
    const source = Buffer.alloc(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const at = (y * width + x) * 3;
        const edge = x + y > 40 ? 90 : 0;
        const checker = x >= 32 && y < 12 && (x + y) % 2 === 0 ? 120 : 0;
        source[at] = Math.min(255, Math.round((255 * x) / (width - 1)) + checker);
        source[at + 1] = Math.min(255, Math.round((255 * y) / (height - 1)) / 2 + edge);
        source[at + 2] = Math.min(255, 200 - Math.round((150 * x) / (width - 1)) + edge / 2);
      }
    }
    const jpeg = await sharp(source, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90, chromaSubsampling: '4:4:4' }).toBuffer();
    const image = await decodeImage(new Uint8Array(jpeg));
    expect(image.original).toEqual({ format: 'jpeg', channels: 3, bitsPerSample: 8, hasAlpha: false });
    expect([image.width, image.height]).toEqual([width, height]);
    const independent = decodeJpegJs(jpeg, { useTArray: true, formatAsRGBA: false });
    expect([independent.width, independent.height]).toEqual([width, height]);
    let largest = 0;
    let total = 0;
    for (let i = 0; i < source.length; i++) {
      const difference = Math.abs((image.data[i] as number) - (independent.data[i] as number));
      largest = Math.max(largest, difference);
      total += difference;
    }
    // Two conforming IDCTs may differ by 1 per Y, Cb and Cr sample (ISO/IEC 10918-2 bounds each
    // by 1 of the exact transform); the YCbCr → RGB conversion (B = Y + 1.772·(Cb − 128)) turns
    // that into at most 1 + 1.772, so 3 once rounded. jpeg-js truncates where libjpeg-turbo
    // rounds: values differ by about half a level on average (0.53 here). A decoder
    // that swaps channels, shifts rows or converts colours otherwise is off by tens.
    expect(largest, 'largest |decodeImage − jpeg-js| of a value').toBeLessThanOrEqual(3);
    expect(total / source.length, 'mean |decodeImage − jpeg-js| of a value').toBeLessThan(1);
    // And both are the written pixels up to the JPEG's loss.
    let loss = 0;
    for (let i = 0; i < source.length; i++) loss += Math.abs((image.data[i] as number) - (source[i] as number));
    expect(loss / source.length).toBeLessThan(3);
  });

  it('decodes bytes as well as paths', async () => {
    const image = await decodeImage(new Uint8Array(readFileSync(file('rgb.png'))));
    expect(Array.from(image.data)).toEqual(pattern(3));
  });

  it('scales 16-bit grey to 8 bits with rounding (Pillow would clip at 255)', async () => {
    // v / 257 rounded: 0→0, 128→0 (0.498), 129→1, 257→1, 32767→127 (127.498), 32768→128, 65535→255.
    const samples = [0, 128, 129, 257, 32767, 32768, 65535, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000];
    const expected = [0, 0, 1, 1, 127, 128, 255, 4, 8, 12, 16, 19, 23, 27, 31];
    await sharp(Uint16Array.from(samples), { raw: { width: WIDTH, height: HEIGHT, channels: 1 } })
      .toColourspace('grey16')
      .tiff({ compression: 'lzw' })
      .toFile(file('gray16.tif'));
    const image = await decodeImage(file('gray16.tif'));
    expect(image.original).toEqual({ format: 'tiff', channels: 1, bitsPerSample: 16, hasAlpha: false });
    expect(Array.from(image.data)).toEqual(expected.flatMap((v) => [v, v, v]));
  });

  it('scales 16-bit RGBA to 8-bit RGB', async () => {
    const values = pattern(4, 257).map((v, i) => (i % 4 === 3 ? 0 : v + 100));
    await sharp(Uint16Array.from(values), { raw: { width: WIDTH, height: HEIGHT, channels: 4 } })
      .toColourspace('rgb16')
      .png()
      .toFile(file('rgba16.png'));
    const image = await decodeImage(file('rgba16.png'));
    expect(image.original).toEqual({ format: 'png', channels: 4, bitsPerSample: 16, hasAlpha: true });
    // (257·v + 100) / 257 rounds back to v.
    expect(Array.from(image.data)).toEqual(expectedRgb(pattern(4), 4, 3));
  });

  describe('refuses bad input with an ImageDecodeError naming the file', () => {
    it('a missing path', async () => {
      await expect(decodeImage(file('missing.png'))).rejects.toThrow(new ImageDecodeError(file('missing.png'), 'no such file'));
    });

    it('a folder', async () => {
      mkdirSync(file('folder.png'));
      await expect(decodeImage(file('folder.png'))).rejects.toThrow(/folder\.png: not a file/);
    });

    it('a truncated PNG', async () => {
      // Noise compresses badly, so half the file cuts through the pixel data.
      const noise = Buffer.from(Array.from({ length: 64 * 64 * 3 }, (_, i) => (i * 2654435761) >>> 24));
      const png = await sharp(noise, { raw: { width: 64, height: 64, channels: 3 } }).png().toBuffer();
      writeFileSync(file('truncated.png'), png.subarray(0, Math.floor(png.length / 2)));
      const error = await decodeImage(file('truncated.png')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ImageDecodeError);
      expect((error as ImageDecodeError).source).toBe(file('truncated.png'));
      expect((error as Error).message).toMatch(/truncated\.png: /);
    });

    it('random bytes', async () => {
      const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919 + 13) % 256);
      await expect(decodeImage(bytes, { name: 'noise.bin' })).rejects.toThrow(/^noise\.bin: not a readable image/);
    });

    it('a text file', async () => {
      writeFileSync(file('notes.tif'), 'these are not pixels\n');
      await expect(decodeImage(file('notes.tif'))).rejects.toThrow(/notes\.tif: not a readable image/);
    });

    it('a format outside the supported ones', async () => {
      await expect(decodeImage(file('rgb.gif'))).rejects.toThrow(/rgb\.gif: unsupported image format gif/);
    });

    it('an image above maxPixels (decompression bomb)', async () => {
      await expect(decodeImage(file('rgb.png'), { maxPixels: 14 })).rejects.toThrow(/rgb\.png: 5×3 = 15 pixels exceeds maxPixels 14/);
      await expect(decodeImage(file('rgb.png'), { maxPixels: 15 })).resolves.toBeDefined();
    });
  });
});
