import { SeededRandom } from '@harma/core';
import { describe, expect, it } from 'vitest';
import { introsortArgsort, numpyArgsort } from './numpy-argsort';

function expectSortedPermutation(values: ArrayLike<number>, order: Int32Array): void {
  expect(Array.from(order).sort((a, b) => a - b)).toEqual(Array.from({ length: values.length }, (_, k) => k));
  for (let k = 1; k < order.length; k++) {
    const previous = values[order[k - 1] as number] as number;
    const current = values[order[k] as number] as number;
    // NaN last; otherwise non-decreasing.
    if (Number.isNaN(previous)) expect(current).toBeNaN();
    else if (!Number.isNaN(current)) expect(previous).toBeLessThanOrEqual(current);
  }
}

describe('numpyArgsort', () => {
  it('sorts, with NaN last, for every size around the insertion-sort threshold', () => {
    const rng = new SeededRandom('argsort');
    for (const size of [0, 1, 2, 15, 16, 17, 18, 33, 100, 1000]) {
      // Few distinct values: ties everywhere.
      const values = Float32Array.from({ length: size }, () => (rng.next() < 0.05 ? Number.NaN : rng.int(6) / 2));
      expectSortedPermutation(values, numpyArgsort(values));
    }
  });

  it('is insertion sort (stable) up to 16 elements', () => {
    const values = [3, 1, 3, 2, 1, 3, 2, 1, 0, 3, 2, 1, 0, 0, 2, 3];
    expect(Array.from(numpyArgsort(values))).toEqual([8, 12, 13, 1, 4, 7, 11, 3, 6, 10, 14, 0, 2, 5, 9, 15]);
  });

  it('orders ties of a 17-element row the way the partition step moves them (traced by hand)', () => {
    // All equal: median-of-3 swaps nothing; the pivot (index 8) is parked at position 15; both
    // scans stop at every element, so positions (1,14), (2,13), ..., (7,8) are swapped until they
    // cross at 8; the pivot returns to position 8; [9, 16] and [0, 7] are insertion-sorted as they are.
    const order = Array.from(numpyArgsort(new Float64Array(17)));
    expect(order).toEqual([0, 14, 13, 12, 11, 10, 9, 15, 8, 6, 5, 4, 3, 2, 1, 7, 16]);
  });

  it('falls back to heapsort when the depth budget is spent, still sorting', () => {
    const rng = new SeededRandom('heapsort');
    const values = Float64Array.from({ length: 257 }, () => rng.int(40));
    for (const depth of [-1, 0, 1]) expectSortedPermutation(values, introsortArgsort(values, depth));
    // Heapsort is not stable: the budget changes the order of ties.
    expect(Array.from(introsortArgsort(values, -1))).not.toEqual(Array.from(numpyArgsort(values)));
  });
});
