import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom, useBackend } from '@harma/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { hostTopK, rowDot } from './host-top-k';
import { streamingTopK } from './streaming-top-k';

describe('hostTopK', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('returns the hand-computed best rows, ties keeping the lower row first', () => {
    // Rows · [1, 2]: 1, 2, 2, -1, 3
    const matrix = new Float32Array([1, 0, 0, 1, 2, 0, -1, 0, 1, 1]);
    expect(hostTopK(matrix, 2, new Float32Array([1, 2]), 3)).toEqual([
      { index: 4, score: 3 },
      { index: 1, score: 2 },
      { index: 2, score: 2 },
    ]);
    expect(hostTopK(matrix, 2, new Float32Array([1, 2]), 99).map((hit) => hit.index)).toEqual([4, 1, 2, 0, 3]);
    expect(hostTopK(matrix, 2, new Float32Array([1, 2]), 0)).toEqual([]);
  });

  it('agrees with @harma/metrics streamingTopK on random data', () => {
    const rng = new SeededRandom('host-top-k');
    const rows = 300;
    const dim = 24;
    const matrix = Float32Array.from({ length: rows * dim }, () => rng.normal());
    const query = Float32Array.from({ length: dim }, () => rng.normal());
    const expected = streamingTopK(tf.tensor2d(query, [1, dim]), tf.tensor2d(matrix, [rows, dim]), 10, { blockSize: 64 });
    const hits = hostTopK(matrix, dim, query, 10);
    expect(hits.map((hit) => hit.index)).toEqual(Array.from(expected.indices));
    hits.forEach((hit, i) => expect(hit.score).toBeCloseTo(expected.scores[i] as number, 4));
  });

  it('refuses a query of the wrong width', () => {
    expect(() => hostTopK(new Float32Array(6), 3, new Float32Array(2), 1)).toThrow('query has 2 values, rows have 3');
  });
});

describe('rowDot', () => {
  it('multiplies one row of each matrix', () => {
    const a = [1, 2, 3, 4, 5, 6];
    const b = [1, 0, 0, 0, 1, 1];
    expect(rowDot(a, 0, b, 0, 3)).toBe(1);
    expect(rowDot(a, 1, b, 1, 3)).toBe(11);
    expect(rowDot(a, 1, b, 0, 3)).toBe(4);
  });
});
