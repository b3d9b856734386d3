import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom, useBackend } from '@harma/core';
import { PORTABLE_BACKENDS, expectAllClose } from '@harma/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { centralDifferences, naiveTripletSum, randomUnitRows } from '../test/naive-losses';
import { tripletLoss } from './triplet-loss';

describe.each(PORTABLE_BACKENDS)('tripletLoss (VSE++) on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('equals hand-computed values of a 2×2 batch', () => {
    const image = tf.tensor2d([[1, 0], [0, 1]]);
    const swapped = tf.tensor2d([[0, 1], [1, 0]]);
    // Four negatives, each 0.2 + 1 − 0; summed over both directions, not halved.
    expect(tripletLoss(image, swapped).dataSync()[0]).toBeCloseTo(4.8, 5);
    expect(tripletLoss(image, swapped, { margin: 0 }).dataSync()[0]).toBeCloseTo(4, 5);
    const text = tf.tensor2d([[0.8, 0.6], [0, 1]]);
    // s = [[0.8, 0], [0.6, 1]]: with margin 0.2 no cost is positive (caption 0 vs image 1: 0.2 + 0.6 − 0.8 = 0);
    // with margin 0.5, image 1 vs caption 0 costs 0.5 + 0.6 − 1 = 0.1 and caption 0 vs image 1 costs 0.3.
    expect(tripletLoss(image, text).dataSync()[0]).toBeCloseTo(0, 6);
    expect(tripletLoss(image, text, { margin: 0.5 }).dataSync()[0]).toBeCloseTo(0.4, 6);
  });

  it('matches a double-precision loop (sum and max violation) and its finite differences', () => {
    const rng = new SeededRandom('vse');
    const batch = 6;
    const dim = 5;
    const image = randomUnitRows(() => rng.next(), batch, dim);
    const text = randomUnitRows(() => rng.next(), batch, dim);
    const ids = new Int32Array([0, 0, 1, 2, 1, 3]);
    const pair = { image, text, batch, dim };
    for (const maxViolation of [false, true]) {
      for (const maskSameImage of [false, true]) {
        const options = { margin: 0.4, maxViolation, maskSameImage, imageIds: ids };
        const naive = { margin: 0.4, maxViolation, ids: maskSameImage ? ids : undefined };
        const a = tf.tensor2d(image, [batch, dim]);
        const b = tf.tensor2d(text, [batch, dim]);
        expectAllClose(tripletLoss(a, b, options), [naiveTripletSum(pair, naive)], { atol: 1e-6, rtol: 1e-5 }, 'value');
        const [gImage, gText] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tripletLoss(x, y, options))([a, b]);
        const tolerance = { atol: 2e-5, rtol: 1e-4 };
        expectAllClose(gImage!, centralDifferences((x) => naiveTripletSum({ ...pair, image: x }, naive), image), tolerance, 'd/d image');
        expectAllClose(gText!, centralDifferences((x) => naiveTripletSum({ ...pair, text: x }, naive), text), tolerance, 'd/d text');
      }
    }
  });
});
