import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@harma/core';
import { randAugment } from './rand-augment';
import { randomResizedCropBox } from './random-resized-crop';
import type { RgbImage } from './rgb-image';

function noise(width: number, height: number, seed: number): RgbImage {
  const rng = new SeededRandom(seed);
  return { data: Uint8Array.from({ length: width * height * 3 }, () => rng.int(256)), width, height };
}

describe('randomResizedCropBox', () => {
  it('stays inside the image with an area fraction in [0.5, 1] and a ratio in [3/4, 4/3] (up to rounding)', () => {
    const rng = new SeededRandom(3);
    for (let i = 0; i < 200; i++) {
      const box = randomResizedCropBox(256, 200, rng);
      expect(box.left).toBeGreaterThanOrEqual(0);
      expect(box.top).toBeGreaterThanOrEqual(0);
      expect(box.left + box.width).toBeLessThanOrEqual(256);
      expect(box.top + box.height).toBeLessThanOrEqual(200);
      const fraction = (box.width * box.height) / (256 * 200);
      expect(fraction).toBeGreaterThan(0.49);
      expect(fraction).toBeLessThan(1.01);
      expect(box.width / box.height).toBeGreaterThan(0.74);
      expect(box.width / box.height).toBeLessThan(1.35);
    }
  });

  it('falls back to the central crop with the ratio clamped', () => {
    // A 300×100 image cannot hold a full-area crop of ratio ≤ 4/3: h = 100, w = round(133.33) = 133.
    expect(randomResizedCropBox(300, 100, new SeededRandom(0), { scale: [1, 1] })).toEqual({ left: 83, top: 0, width: 133, height: 100 });
  });
});

describe('randAugment', () => {
  it('is deterministic for a seed and keeps the shape', () => {
    const image = noise(32, 24, 1);
    for (let seed = 0; seed < 20; seed++) {
      const a = randAugment(image, new SeededRandom(seed));
      const b = randAugment(image, new SeededRandom(seed));
      expect(a.applied).toEqual(b.applied);
      expect(Buffer.from(a.image.data).equals(Buffer.from(b.image.data))).toBe(true);
      expect([a.image.width, a.image.height, a.image.data.length]).toEqual([32, 24, 32 * 24 * 3]);
    }
  });

  it('applies each drawn operation with probability 1/2 and the official magnitudes at M = 7', () => {
    const image = noise(16, 16, 2);
    const counts = new Map<string, number>();
    let applied = 0;
    const runs = 2000;
    for (let seed = 0; seed < runs; seed++) {
      for (const op of randAugment(image, new SeededRandom(`ra/${seed}`)).applied) {
        applied++;
        counts.set(op.op, (counts.get(op.op) ?? 0) + 1);
        if (op.op === 'Brightness' || op.op === 'Sharpness') expect(op.argument).toBeCloseTo(1.36, 12);
        if (op.op === 'ShearX' || op.op === 'ShearY') expect(Math.abs(op.argument as number)).toBeCloseTo(0.21, 12);
        if (op.op === 'Rotate') expect(Math.abs(op.argument as number)).toBeCloseTo(21, 12);
        if (op.op === 'TranslateX' || op.op === 'TranslateY') expect(Math.abs(op.argument as number)).toBeCloseTo((7 * 16) / 224, 12);
      }
    }
    // 2 draws × 0.5 → 1 applied operation per image on average; each of the 10 ops ≈ 10%.
    expect(applied / runs).toBeGreaterThan(0.93);
    expect(applied / runs).toBeLessThan(1.07);
    expect(counts.size).toBe(10);
    for (const count of counts.values()) expect(count / applied).toBeGreaterThan(0.07);
  });

  it('chains the drawn operations', () => {
    const image: RgbImage = { data: new Uint8Array([100, 100, 100]), width: 1, height: 1 };
    const out = randAugment(image, new SeededRandom(0), { ops: ['Brightness'], probability: 1 });
    // 100 → 136 → trunc(136 · 1.36 = 184.96) = 184.
    expect(Array.from(out.image.data)).toEqual([184, 184, 184]);
  });
});
