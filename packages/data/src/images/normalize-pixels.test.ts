import { describe, expect, it } from 'vitest';
import { normalizePixels } from './normalize-pixels';

// CLIP's statistics, written out: the values the expectations below are computed from.
const MEAN: [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
const STD: [number, number, number] = [0.26862954, 0.26130258, 0.27577711];

describe('normalizePixels', () => {
  // Two pixels, row-major: (0, 128, 255) then (255, 0, 51).
  const image = { data: Uint8Array.from([0, 128, 255, 255, 0, 51]), width: 2, height: 1 };
  const spec = { mean: MEAN, std: STD };

  it('lays channels out as planes (CHW) with (v/255 − mean)/std', () => {
    const out = normalizePixels(image, spec);
    const expected = [
      (0 - 0.48145466) / 0.26862954,
      (1 - 0.48145466) / 0.26862954,
      (128 / 255 - 0.4578275) / 0.26130258,
      (0 - 0.4578275) / 0.26130258,
      (1 - 0.40821073) / 0.27577711,
      (0.2 - 0.40821073) / 0.27577711,
    ];
    expect(out).toHaveLength(6);
    expected.forEach((value, i) => expect(out[i]).toBeCloseTo(value, 6));
    expect(out[0]).toBeCloseTo(-1.7922625, 6);
  });

  it('rounds to float32 at each step like torchvision', () => {
    const f = Math.fround;
    expect(normalizePixels(image, spec)[2]).toBe(f(f(f(128 / 255) - f(0.4578275)) / f(0.26130258)));
  });

  it('rejects a non-positive std', () => {
    expect(() => normalizePixels(image, { mean: MEAN, std: [1, 0, 1] })).toThrow(/std\[1\]/);
  });
});
