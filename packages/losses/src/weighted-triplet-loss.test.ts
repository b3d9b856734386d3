import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom, useBackend } from '@harma/core';
import { PORTABLE_BACKENDS, expectAllClose } from '@harma/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { centralDifferences, naiveTripletSum, randomUnitRows, type NaivePair } from '../test/naive-losses';
import { weightedCost, weightedTripletLoss } from './weighted-triplet-loss';

describe.each(PORTABLE_BACKENDS)('weightedTripletLoss on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('equals hand-computed values of 2×2 batches', () => {
    const image = tf.tensor2d([[1, 0], [0, 1]]);
    // Matching captions: every cost is max(0, 0.2 + 0 − 1) = 0.
    const matched = weightedTripletLoss(image, tf.tensor2d([[1, 0], [0, 1]]));
    expect(matched.dataSync()[0]).toBe(0);
    // Swapped captions: s = [[0, 1], [1, 0]], all four off-diagonal costs are 0.2 + 1 − 0 = 1.2.
    const swapped = tf.tensor2d([[0, 1], [1, 0]]);
    const expected = (4 * (1 - Math.exp(-1.2)) ** 2 * 1.2) / 2;
    expect(weightedTripletLoss(image, swapped).dataSync()[0]).toBeCloseTo(expected, 6);
    // Max violation keeps the one negative per query here: the same value.
    expect(weightedTripletLoss(image, swapped, { maxViolation: true }).dataSync()[0]).toBeCloseTo(expected, 6);
    // gamma 0: plain hinge sum / 2.
    expect(weightedTripletLoss(image, swapped, { gamma: 0 }).dataSync()[0]).toBeCloseTo(2.4, 6);
    // Both rows show one image and the option masks it: no negative is left.
    expect(weightedTripletLoss(image, swapped, { maskSameImage: true, imageIds: new Int32Array([1, 1]) }).dataSync()[0]).toBe(0);
  });

  it('matches a double-precision loop for every option', () => {
    const rng = new SeededRandom('triplet-values');
    const batch = 8;
    const dim = 6;
    const image = randomUnitRows(() => rng.next(), batch, dim);
    const text = randomUnitRows(() => rng.next(), batch, dim);
    const ids = new Int32Array([0, 1, 0, 2, 3, 2, 0, 4]);
    const pair = { image, text, batch, dim };
    for (const maxViolation of [false, true]) {
      for (const maskSameImage of [false, true]) {
        for (const [margin, gamma] of [[0.2, 2], [0.5, 0.5], [1, 3]] as const) {
          const loss = weightedTripletLoss(tf.tensor2d(image, [batch, dim]), tf.tensor2d(text, [batch, dim]), {
            margin,
            gamma,
            maxViolation,
            maskSameImage,
            imageIds: ids,
          });
          const expected = naiveTripletSum(pair, { margin, gamma, maxViolation, ids: maskSameImage ? ids : undefined }) / 2;
          expectAllClose(loss, [expected], { atol: 1e-6, rtol: 1e-5 }, `max ${maxViolation} mask ${maskSameImage} margin ${margin} gamma ${gamma}`);
        }
      }
    }
  });

  it('differentiates through the weights too (finite differences of the double loop)', () => {
    const rng = new SeededRandom('triplet-gradient');
    const batch = 5;
    const dim = 4;
    const image = randomUnitRows(() => rng.next(), batch, dim);
    const text = randomUnitRows(() => rng.next(), batch, dim);
    const pair = { image, text, batch, dim };
    const tolerance = { atol: 2e-5, rtol: 1e-4 };
    for (const maxViolation of [false, true]) {
      const options = { margin: 0.6, gamma: 2, maxViolation };
      const [gImage, gText] = tf.grads((a: tf.Tensor, b: tf.Tensor) => weightedTripletLoss(a, b, options))([
        tf.tensor2d(image, [batch, dim]),
        tf.tensor2d(text, [batch, dim]),
      ]);
      const half = (p: NaivePair): number => naiveTripletSum(p, options) / 2;
      expectAllClose(gImage!, centralDifferences((x) => half({ ...pair, image: x }), image), tolerance, `d/d image, max ${maxViolation}`);
      expectAllClose(gText!, centralDifferences((x) => half({ ...pair, text: x }), text), tolerance, `d/d text, max ${maxViolation}`);
    }
  });

  it('gives finite gradients where costs are zero, also for gamma below one', () => {
    const cost = tf.tensor1d([0, 0, 0.3]);
    for (const gamma of [0.5, 2]) {
      const gradient = tf.grad((c: tf.Tensor) => tf.sum(weightedCost(c, gamma)))(cost).dataSync();
      expect(Array.from(gradient).every(Number.isFinite)).toBe(true);
      // d/dc (1 − e^−c)^γ·c = (1 − e^−c)^γ + γ·(1 − e^−c)^(γ−1)·e^−c·c.
      const base = 1 - Math.exp(-0.3);
      expect(gradient[2]).toBeCloseTo(base ** gamma + gamma * base ** (gamma - 1) * Math.exp(-0.3) * 0.3, 5);
    }
  });

  it('keeps the tensor count flat and names bad options', () => {
    const image = tf.tensor2d([[1, 0], [0, 1]]);
    const text = tf.tensor2d([[0.6, 0.8], [0.8, 0.6]]);
    tf.dispose(weightedTripletLoss(image, text));
    const before = tf.memory().numTensors;
    for (let k = 0; k < 3; k++) tf.dispose(weightedTripletLoss(image, text, { maxViolation: k === 1 }));
    expect(tf.memory().numTensors).toBe(before);
    expect(() => weightedTripletLoss(image, text, { maskSameImage: true })).toThrow(/weightedTripletLoss: maskSameImage needs imageIds/);
    expect(() => weightedTripletLoss(image, text, { gamma: -1 })).toThrow(/gamma must be/);
    tf.dispose([image, text]);
  });
});
