import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom, useBackend } from '@harma/core';
import { PORTABLE_BACKENDS, expectAllClose } from '@harma/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { contrastiveLoss } from './contrastive-loss';
import { harmaObjective } from './harma-objective';
import { readGoldenBatch, type GoldenBatch } from '../test/golden-batch';
import { centralDifferences, naiveContrastive, naiveTripletSum, naiveUniformity, randomUnitRows } from '../test/naive-losses';
import { weightedTripletLoss } from './weighted-triplet-loss';

/** The fixture README's tolerance for losses: |a − e| ≤ 1e-6 + 1e-4·|e|. */
const LOSS_TOLERANCE = { atol: 1e-6, rtol: 1e-4 };
const FIXTURES = ['tiny-gelu', 'tiny-quickgelu'];

describe.each(PORTABLE_BACKENDS)('losses against the golden fixtures on %s', (backend) => {
  const batches = new Map<string, GoldenBatch>();
  beforeAll(async () => {
    await useBackend(backend);
    for (const fixture of FIXTURES) batches.set(fixture, await readGoldenBatch(fixture));
  });

  it.each(FIXTURES)('%s: loss_contrastive, loss_triplet_weighted and loss_total from the stored embeddings', (fixture) => {
    const golden = batches.get(fixture)!;
    expect(golden.temperature).toBeCloseTo(0.07, 7);
    const image = tf.tensor2d(golden.image, [golden.batch, golden.dim]);
    const text = tf.tensor2d(golden.text, [golden.batch, golden.dim]);
    const temperature = tf.scalar(golden.temperature);
    const ids = tf.tensor1d(golden.ids, 'int32');
    expectAllClose(contrastiveLoss(image, text, { temperature, imageIds: ids }), [golden.lossContrastive], LOSS_TOLERANCE, 'loss_contrastive');
    expectAllClose(weightedTripletLoss(image, text), [golden.lossTripletWeighted], LOSS_TOLERANCE, 'loss_triplet_weighted');
    const objective = harmaObjective(image, text, { temperature, imageIds: ids });
    expectAllClose(objective.total, [golden.lossTotal], LOSS_TOLERANCE, 'loss_total');
    expectAllClose(objective.contrastive, [golden.lossContrastive], LOSS_TOLERANCE, 'objective.contrastive');
    expectAllClose(objective.triplet, [golden.lossTripletWeighted], LOSS_TOLERANCE, 'objective.triplet');
    expect(objective.uniformity).toBeUndefined();
    // The ids matter for the contrastive term (repeats in idx), and the triplet ignores them.
    expect(Math.abs((contrastiveLoss(image, text, { temperature }).dataSync()[0] as number) - golden.lossContrastive)).toBeGreaterThan(1e-3);
  });

  it.each(FIXTURES)('%s: the double-precision loops agree with the fixture too', (fixture) => {
    const golden = batches.get(fixture)!;
    const pair = { image: golden.image, text: golden.text, batch: golden.batch, dim: golden.dim };
    expectAllClose([naiveContrastive(pair, golden.temperature, golden.ids)], [golden.lossContrastive], LOSS_TOLERANCE, 'naive contrastive');
    expectAllClose([naiveTripletSum(pair, { margin: 0.2, gamma: 2 }) / 2], [golden.lossTripletWeighted], LOSS_TOLERANCE, 'naive triplet');
  });

  it('tiny-gelu: gradients of loss_total w.r.t. embeddings and temperature match finite differences', () => {
    const golden = batches.get('tiny-gelu')!;
    const { batch, dim, ids } = golden;
    const [gImage, gText, gTemp] = tf.grads((a: tf.Tensor, b: tf.Tensor, t: tf.Tensor) => harmaObjective(a, b, { temperature: t, imageIds: ids }).total)([
      tf.tensor2d(golden.image, [batch, dim]),
      tf.tensor2d(golden.text, [batch, dim]),
      tf.scalar(golden.temperature),
    ]);
    const total = (image: ArrayLike<number>, text: ArrayLike<number>, temperature: number): number => {
      const pair = { image, text, batch, dim };
      return naiveContrastive(pair, temperature, ids) + naiveTripletSum(pair, { margin: 0.2, gamma: 2 }) / 2;
    };
    // Logits are scaled by 1/0.07, so gradients reach ~10: the relative part dominates.
    const tolerance = { atol: 1e-5, rtol: 1e-3 };
    expectAllClose(gImage!, centralDifferences((x) => total(x, golden.text, golden.temperature), golden.image), tolerance, 'd/d image_emb');
    expectAllClose(gText!, centralDifferences((x) => total(golden.image, x, golden.temperature), golden.text), tolerance, 'd/d text_emb');
    expectAllClose(gTemp!, centralDifferences((x) => total(golden.image, golden.text, x[0] as number), [golden.temperature]), tolerance, 'd/d temp');
  });

  it('weights its terms and adds uniformity on request', () => {
    const rng = new SeededRandom('objective');
    const batch = 6;
    const dim = 5;
    const image = randomUnitRows(() => rng.next(), batch, dim);
    const text = randomUnitRows(() => rng.next(), batch, dim);
    const ids = new Int32Array([0, 1, 1, 2, 3, 0]);
    const pair = { image, text, batch, dim };
    const objective = harmaObjective(tf.tensor2d(image, [batch, dim]), tf.tensor2d(text, [batch, dim]), {
      temperature: 0.1,
      imageIds: ids,
      contrastive: 0.5,
      triplet: 2,
      uniformity: 0.25,
      margin: 0.3,
      gamma: 1,
    });
    const contrastive = naiveContrastive(pair, 0.1, ids);
    const triplet = naiveTripletSum(pair, { margin: 0.3, gamma: 1 }) / 2;
    const uniformity = (naiveUniformity(image, batch, dim) + naiveUniformity(text, batch, dim)) / 2;
    expectAllClose(objective.uniformity!, [uniformity], { atol: 1e-6, rtol: 1e-5 }, 'uniformity');
    expectAllClose(objective.total, [0.5 * contrastive + 2 * triplet + 0.25 * uniformity], { atol: 1e-6, rtol: 1e-5 }, 'total');
    expect(() => harmaObjective(tf.tensor2d(image, [batch, dim]), tf.tensor2d(text, [batch, dim]), { temperature: 0.1, triplet: -1 })).toThrow(
      /the triplet weight must be/,
    );
  });

  it('leaves no tensor behind but the ones it returns', () => {
    const golden = batches.get('tiny-gelu')!;
    const image = tf.tensor2d(golden.image, [golden.batch, golden.dim]);
    const text = tf.tensor2d(golden.text, [golden.batch, golden.dim]);
    const before = tf.memory().numTensors;
    for (let k = 0; k < 3; k++) {
      const result = harmaObjective(image, text, { temperature: 0.07, imageIds: golden.ids, uniformity: 1 });
      tf.dispose([result.total, result.contrastive, result.triplet, result.uniformity!]);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([image, text]);
  });
});
