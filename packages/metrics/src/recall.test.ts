import { describe, expect, it } from 'vitest';
import { metricsFromRanks, recallAtK } from './recall';

describe('recall figures from ranks', () => {
  it('R@K = 100 · #(rank < K) / n', () => {
    const ranks = Int32Array.from([0, 4, 5, 9, 10, 30, 0, 1]);
    expect(recallAtK(ranks, 1)).toBe(25);
    expect(recallAtK(ranks, 5)).toBe(50);
    expect(recallAtK(ranks, 10)).toBe(75);
    expect(() => recallAtK([], 1)).toThrow(/no ranks/);
  });

  it('r_mean comes from the unrounded figures, each figure rounded half-even', () => {
    // i2t: 1 of 3 at R@1, 2 of 3 at R@5 and R@10; t2i: 5 of 8 at R@1, 7 of 8 at R@5, 8 of 8 at R@10.
    const ranks = { i2t: Int32Array.from([0, 3, 20]), t2i: Int32Array.from([0, 0, 0, 0, 0, 2, 3, 7]) };
    const unrounded = metricsFromRanks(ranks, { round: false });
    expect(unrounded.txt_r1).toBe((100 * 1) / 3);
    expect(unrounded.img_r1).toBe(62.5);
    expect(unrounded.img_r5).toBe(87.5);
    expect(unrounded.r_mean).toBe(((100 / 3 + 200 / 3 + 200 / 3) / 3 + (62.5 + 87.5 + 100) / 3) / 2);
    expect(metricsFromRanks(ranks)).toEqual({
      txt_r1: 33.33,
      txt_r5: 66.67,
      txt_r10: 66.67,
      // 62.5 and 87.5 are exact: nothing to round at two decimals.
      img_r1: 62.5,
      img_r5: 87.5,
      img_r10: 100,
      // ((55.555…) + (83.333…)) / 2 = 69.444… → 69.44 (rounding the rounded figures would give 69.45).
      r_mean: 69.44,
    });
  });

  it('rounds exact ties to even: 46.875 → 46.88, 90.625 → 90.62, 53.125 → 53.12', () => {
    // 15/32 = 46.875 %, 29/32 = 90.625 %; t2i 85/160 = 53.125 %.
    const i2t = Int32Array.from({ length: 32 }, (_, k) => (k < 15 ? 0 : k < 29 ? 7 : 50));
    const t2i = Int32Array.from({ length: 160 }, (_, k) => (k < 85 ? 0 : 50));
    const metrics = metricsFromRanks({ i2t, t2i });
    expect(metrics.txt_r1).toBe(46.88);
    expect(metrics.txt_r10).toBe(90.62);
    expect(metrics.img_r1).toBe(53.12);
  });
});
