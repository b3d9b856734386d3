import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ImagePreprocessSpec } from '@harma/core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageDecodeError } from './image-decode-error';
import { preprocessImage } from './preprocess-image';
import { PreprocessPool } from './preprocess-pool';

const workerScript = path.resolve('dist/workers/preprocess-worker.js');
const spec: ImagePreprocessSpec = { size: 24, mean: [0.48, 0.46, 0.41], std: [0.27, 0.26, 0.28], resize: 'shortest-side-crop', interpolation: 'bicubic' };

/** Longest gap (ms) between ticks of a 5 ms timer while `work` runs: how long the event loop was held. */
async function longestStall(work: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 5);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(longest, performance.now() - last);
}

describe('PreprocessPool', () => {
  let pooled: PreprocessPool;
  let image: Buffer;
  let wide: Buffer;

  beforeAll(async () => {
    if (!existsSync(workerScript)) throw new Error(`${workerScript} is missing: build @harma/data first (npx tsup)`);
    pooled = new PreprocessPool({ threads: 2, workerScript });
    const data = Buffer.from(Array.from({ length: 50 * 30 * 3 }, (_, i) => (i * 37 + 11) % 256));
    image = await sharp(data, { raw: { width: 50, height: 30, channels: 3 } }).png().toBuffer();
    // A grey ramp 8,000,000 × 1: seconds of decoding and resizing.
    const ramp = Buffer.from(Array.from({ length: 8_000_000 }, (_, i) => Math.floor((256 * i) / 8_000_000)));
    wide = await sharp(ramp, { raw: { width: 8_000_000, height: 1, channels: 1 } }).png({ compressionLevel: 1 }).toBuffer();
  });

  afterAll(async () => {
    await pooled?.close();
  });

  it('gives preprocessImage\'s pixels bit for bit, with the decoded size and format, in worker threads or this one', async () => {
    const expected = await preprocessImage(image, spec);
    for (const pool of [pooled, new PreprocessPool({ threads: 0 })]) {
      const result = await pool.preprocess(image, spec, { name: 'upload' });
      expect(result).toMatchObject({ format: 'png', width: 50, height: 30 });
      expect(result.pixels).toEqual(expected);
      await pool.close();
    }
    pooled = new PreprocessPool({ threads: 2, workerScript });
  });

  it('rejects unreadable and too large images with the ImageDecodeError decodeImage throws', async () => {
    const corrupt = pooled.preprocess(Buffer.from('not an image'), spec, { name: 'notes.png' });
    await expect(corrupt).rejects.toBeInstanceOf(ImageDecodeError);
    await expect(corrupt).rejects.toMatchObject({ source: 'notes.png', message: expect.stringMatching(/^notes\.png: not a readable image/) });
    await expect(pooled.preprocess(image, spec, { name: 'big.png', maxPixels: 1000 })).rejects.toThrow('big.png: 50×30 = 1500 pixels exceeds maxPixels 1000');
    // 8,000,000 × 1 fits the default limit, but its shortest side resized to 24 would not.
    await expect(pooled.preprocess(wide, spec, { name: 'wide.png' })).rejects.toThrow('wide.png: 8000000×1 resized for the model (shortest side to 24) would be 192000000×24');
  });

  it('keeps the event loop free while a huge image is preprocessed (this thread would be held for seconds)', async () => {
    const inThread = new PreprocessPool({ threads: 0 });
    const squash = { ...spec, resize: 'squash' as const };
    const held = await longestStall(() => inThread.preprocess(wide, squash));
    const free = await longestStall(() => pooled.preprocess(wide, squash));
    expect(held, 'the image is too small to show anything').toBeGreaterThan(300);
    // Relative to the same work on this thread, so that a busy machine (timer jitter of tens of
    // ms) does not decide the outcome: off the thread, the loop stalls a small fraction as long.
    expect(free).toBeLessThan(Math.max(100, held / 5));
  });

  it('refuses work once closed, and asks for the built worker when threads are requested from sources', async () => {
    const pool = new PreprocessPool({ threads: 1, workerScript });
    await pool.close();
    await expect(pool.preprocess(image, spec)).rejects.toThrow('PreprocessPool: closed');
    expect(() => new PreprocessPool({ threads: 1 })).toThrow(/threads need the built worker/);
    expect(new PreprocessPool().threads).toBe(0);
    expect(() => new PreprocessPool({ threads: -1 })).toThrow(RangeError);
  });
});
