import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom, useBackend } from '@harma/core';
import { PORTABLE_BACKENDS, expectAllClose } from '@harma/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { centralDifferences, naiveUniformity, randomUnitRows } from '../test/naive-losses';
import { uniformityLoss } from './uniformity-loss';

describe.each(PORTABLE_BACKENDS)('uniformityLoss on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('equals hand-computed values', () => {
    // Two antipodal points: ‖x − y‖² = 4, log e^(−8) = −8.
    expect(uniformityLoss(tf.tensor2d([[1, 0], [-1, 0]])).dataSync()[0]).toBeCloseTo(-8, 4);
    // Three copies of one point: every distance is 0, log 1 = 0.
    expect(uniformityLoss(tf.tensor2d([[0, 1], [0, 1], [0, 1]])).dataSync()[0]).toBeCloseTo(0, 6);
    // Orthogonal unit vectors with t = 1: ‖x − y‖² = 2.
    expect(uniformityLoss(tf.tensor2d([[1, 0], [0, 1]]), { t: 1 }).dataSync()[0]).toBeCloseTo(-2, 5);
  });

  it('matches a double-precision loop and its finite differences', () => {
    const rng = new SeededRandom('uniformity');
    const batch = 7;
    const dim = 4;
    const x = randomUnitRows(() => rng.next(), batch, dim);
    const input = tf.tensor2d(x, [batch, dim]);
    expectAllClose(uniformityLoss(input), [naiveUniformity(x, batch, dim)], { atol: 1e-6, rtol: 1e-5 }, 'value');
    const gradient = tf.grad((e: tf.Tensor) => uniformityLoss(e, { t: 3 }))(input);
    expectAllClose(gradient, centralDifferences((p) => naiveUniformity(p, batch, dim, 3), x), { atol: 2e-5, rtol: 1e-4 }, 'd/d x');
  });

  it('needs two embeddings', () => {
    expect(() => uniformityLoss(tf.tensor2d([[1, 0]]))).toThrow(/at least 2 embeddings/);
  });
});
