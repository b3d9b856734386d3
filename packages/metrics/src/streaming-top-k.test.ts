import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom, useBackend } from '@harma/core';
import { PORTABLE_BACKENDS } from '@harma/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { streamingTopK } from './streaming-top-k';
import { drawRows } from '../test/random-gallery';

/** Brute force: sort every gallery index by (score desc, index asc). */
function bruteTopK(queries: Float32Array, gallery: Float32Array, count: number, size: number, dim: number, k: number): number[][] {
  return Array.from({ length: count }, (_, q) => {
    const scored = Array.from({ length: size }, (_, g) => {
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += (queries[q * dim + d] as number) * (gallery[g * dim + d] as number);
      return { g, dot };
    });
    scored.sort((a, b) => b.dot - a.dot || a.g - b.g);
    return scored.slice(0, k).map((entry) => entry.g);
  });
}

describe.each(PORTABLE_BACKENDS)('streamingTopK on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('equals a brute-force sort for several block sizes, ties by lower index', () => {
    const rng = new SeededRandom('top-k');
    const count = 9;
    const size = 50;
    const dim = 3;
    // Steps of 1/2: exact scores and many ties.
    const queries = drawRows(count, dim, () => (rng.int(5) - 2) / 2);
    const gallery = drawRows(size, dim, () => (rng.int(5) - 2) / 2);
    const q = tf.tensor2d(queries, [count, dim]);
    const g = tf.tensor2d(gallery, [size, dim]);
    for (const k of [1, 7, 50]) {
      const expected = bruteTopK(queries, gallery, count, size, dim, k);
      for (const blockSize of [1, 4, 13, 2048]) {
        const result = streamingTopK(q, g, k, { blockSize });
        const rows = Array.from({ length: count }, (_, r) => Array.from(result.indices.subarray(r * k, (r + 1) * k)));
        expect(rows, `k ${k}, block ${blockSize}`).toEqual(expected);
        for (let r = 0; r < count; r++) {
          const scores = Array.from(result.scores.subarray(r * k, (r + 1) * k));
          expect(scores).toEqual([...scores].sort((a, b) => b - a));
        }
      }
    }
    expect(() => streamingTopK(q, g, 51)).toThrow(/k must be an integer in \[1, 50\]/);
    tf.dispose([q, g]);
  });
});
