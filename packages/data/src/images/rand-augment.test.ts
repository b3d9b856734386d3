import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@harma/core';
import { applyAugmentOp, RAND_AUGMENT_OPS, type RandAugmentOp } from './augment-op';
import { planRandAugment, randAugment } from './rand-augment';
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

/** A stream that returns the given values in order, so a test controls every draw (`int(n)` is floor(next()·n)). */
class ScriptedRandom extends SeededRandom {
  readonly #values: number[];
  constructor(values: number[]) {
    super('scripted');
    this.#values = [...values];
  }
  override next(): number {
    const value = this.#values.shift();
    if (value === undefined) throw new Error('ScriptedRandom: no draws left');
    return value;
  }
  get left(): number {
    return this.#values.length;
  }
}

/** |count − n·p| within 5 standard deviations of a binomial(n, p): a bound a correct sampler misses with chance < 1e-6. */
function expectBinomial(count: number, trials: number, p: number, label: string): void {
  const sd = Math.sqrt(trials * p * (1 - p));
  expect(Math.abs(count - trials * p), `${label}: ${count} of ${trials}, expected ${trials * p} ± ${(5 * sd).toFixed(0)}`).toBeLessThanOrEqual(5 * sd);
}

/** |argument| of each operation at M = 7 (undefined: it takes none). */
const MAGNITUDES: Record<RandAugmentOp, number | undefined> = {
  Identity: undefined, AutoContrast: undefined, Equalize: undefined, Brightness: 1.36, Sharpness: 1.36,
  ShearX: 0.21, ShearY: 0.21, TranslateX: 7, TranslateY: 7, Rotate: 21,
};

describe('planRandAugment: the official RandomAugment draws, in its order', () => {
  it('draws both operations first, then per operation the apply draw and (if applied and signed) the sign draw', () => {
    // ops: int(10) of 0.55 → ShearX, of 0.95 → Rotate; ShearX applied (0.3 ≤ 0.5), sign 0.75 > 0.5 → negative;
    // Rotate applied (0.2), sign 0.3 < 0.5 → negative.
    const rng = new ScriptedRandom([0.55, 0.95, 0.3, 0.75, 0.2, 0.3]);
    expect(planRandAugment(rng)).toEqual([
      { op: 'ShearX', argument: -0.21 },
      { op: 'Rotate', argument: -21 },
    ]);
    expect(rng.left).toBe(0);
  });

  it('skips an operation whose apply draw is above 0.5 without drawing its sign; exactly 0.5 applies', () => {
    // TranslateY (0.85) skipped by 0.6; Brightness (0.3) applied by 0.5, no sign draw.
    const rng = new ScriptedRandom([0.85, 0.3, 0.6, 0.5, 0.99]);
    expect(planRandAugment(rng)).toEqual([{ op: 'Brightness', argument: 1.36 }]);
    expect(rng.left).toBe(1);
  });

  it('translates by 7 px at M = 7 whatever the image size (the official translate_const 10)', () => {
    expect(planRandAugment(new ScriptedRandom([0.7, 0.7, 0.1, 0.1, 0.1, 0.9]))).toEqual([
      { op: 'TranslateX', argument: 7 },
      { op: 'TranslateX', argument: -7 },
    ]);
  });

  it('matches the official distribution over 200,000 seeded images (5-sigma bounds)', () => {
    const images = 200_000;
    const opCounts = new Map<RandAugmentOp, number>();
    const negative = new Map<RandAugmentOp, number>();
    const perImage = [0, 0, 0];
    let applied = 0;
    let sameTwice = 0;
    const wrongMagnitude: string[] = [];
    for (let i = 0; i < images; i++) {
      // One stream per sample, as the loader seeds them.
      const plan = planRandAugment(new SeededRandom(`dist/epoch0/sample${i}`));
      perImage[plan.length] = (perImage[plan.length] as number) + 1;
      if (plan.length === 2 && plan[0]?.op === plan[1]?.op) sameTwice += 1;
      for (const { op, argument } of plan) {
        applied += 1;
        opCounts.set(op, (opCounts.get(op) ?? 0) + 1);
        if (argument !== undefined && argument < 0) negative.set(op, (negative.get(op) ?? 0) + 1);
        if ((argument === undefined ? undefined : Math.abs(argument)) !== MAGNITUDES[op]) wrongMagnitude.push(`${op} ${argument}`);
      }
    }
    expect(wrongMagnitude).toEqual([]);
    // Each of the 2 slots is applied with probability 1/2: 0, 1 or 2 operations with 1/4, 1/2, 1/4.
    expectBinomial(applied, 2 * images, 0.5, 'application rate');
    expectBinomial(perImage[0] as number, images, 0.25, 'images with no operation');
    expectBinomial(perImage[1] as number, images, 0.5, 'images with one operation');
    expectBinomial(perImage[2] as number, images, 0.25, 'images with two operations');
    // Uniform choice among the ten operations, independent of being applied; with replacement.
    expect([...opCounts.keys()].sort()).toEqual([...RAND_AUGMENT_OPS].sort());
    for (const op of RAND_AUGMENT_OPS) expectBinomial(opCounts.get(op) ?? 0, applied, 0.1, `${op} frequency`);
    expectBinomial(sameTwice, perImage[2] as number, 0.1, 'the same operation drawn twice');
    // Every signed operation is negative half the time; the unsigned ones never.
    for (const op of ['ShearX', 'ShearY', 'TranslateX', 'TranslateY', 'Rotate'] as const) expectBinomial(negative.get(op) ?? 0, opCounts.get(op) ?? 0, 0.5, `${op} sign`);
    for (const op of ['Brightness', 'Sharpness'] as const) expect(negative.get(op) ?? 0).toBe(0);
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

  it('applies the plan of the same draws, operation after operation', () => {
    const image = noise(20, 16, 3);
    for (let seed = 0; seed < 40; seed++) {
      const { image: out, applied } = randAugment(image, new SeededRandom(`plan/${seed}`));
      expect(applied).toEqual(planRandAugment(new SeededRandom(`plan/${seed}`)));
      const expected = applied.reduce((current, { op, argument }) => applyAugmentOp(current, op, argument), image);
      expect(Buffer.from(out.data).equals(Buffer.from(expected.data))).toBe(true);
    }
  });

  it('chains the drawn operations', () => {
    const image: RgbImage = { data: new Uint8Array([100, 100, 100]), width: 1, height: 1 };
    const out = randAugment(image, new SeededRandom(0), { ops: ['Brightness'], probability: 1 });
    // 100 → 136 → trunc(136 · 1.36 = 184.96) = 184.
    expect(Array.from(out.image.data)).toEqual([184, 184, 184]);
  });

  it('refuses an empty list of operations', () => {
    expect(() => randAugment(noise(2, 2, 0), new SeededRandom(0), { ops: [] })).toThrow(/no operations/);
  });
});
