import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom, useBackend } from '@harma/core';
import { PORTABLE_BACKENDS, expectAllClose } from '@harma/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { contrastiveLoss, contrastiveTargets } from './contrastive-loss';
import { centralDifferences, naiveContrastive, randomUnitRows } from '../test/naive-losses';

describe.each(PORTABLE_BACKENDS)('contrastiveLoss on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('equals the hand-computed value of a 2×2 batch', () => {
    const image = tf.tensor2d([[1, 0], [0, 1]]);
    const text = tf.tensor2d([[1, 0], [0, 1]]);
    // logits = identity / 1: each row's log-softmax at its positive is 1 − log(e + 1).
    const loss = contrastiveLoss(image, text, { temperature: 1 });
    expect(loss.shape).toEqual([]);
    expect(loss.dataSync()[0]).toBeCloseTo(Math.log(Math.E + 1) - 1, 6);
    // The same image twice: targets spread evenly over both captions of every row.
    const shared = contrastiveLoss(image, text, { temperature: 1, imageIds: new Int32Array([7, 7]) });
    expect(shared.dataSync()[0]).toBeCloseTo(Math.log(Math.E + 1) - 0.5, 6);
    tf.dispose([image, text, loss, shared]);
  });

  it('matches a double-precision loop, with and without image ids', () => {
    const rng = new SeededRandom('contrastive-values');
    const batch = 7;
    const dim = 9;
    const image = randomUnitRows(() => rng.next(), batch, dim);
    const text = randomUnitRows(() => rng.next(), batch, dim);
    const ids = new Int32Array([3, 1, 3, 0, 1, 3, 5]);
    for (const withIds of [false, true]) {
      const loss = contrastiveLoss(tf.tensor2d(image, [batch, dim]), tf.tensor2d(text, [batch, dim]), {
        temperature: 0.07,
        imageIds: withIds ? tf.tensor1d(ids, 'int32') : undefined,
      });
      const expected = naiveContrastive({ image, text, batch, dim }, 0.07, withIds ? ids : undefined);
      expectAllClose(loss, [expected], { atol: 1e-6, rtol: 1e-5 }, `contrastive, ids ${withIds}`);
    }
  });

  it('has the gradient of finite differences w.r.t. both embeddings and the temperature', () => {
    const rng = new SeededRandom('contrastive-gradient');
    const batch = 5;
    const dim = 4;
    const image = randomUnitRows(() => rng.next(), batch, dim);
    const text = randomUnitRows(() => rng.next(), batch, dim);
    const ids = new Int32Array([0, 2, 0, 1, 2]);
    const temperature = 0.2;
    const [gImage, gText, gTemp] = tf.grads((a: tf.Tensor, b: tf.Tensor, t: tf.Tensor) =>
      contrastiveLoss(a, b, { temperature: t, imageIds: ids }),
    )([tf.tensor2d(image, [batch, dim]), tf.tensor2d(text, [batch, dim]), tf.scalar(temperature)]);
    const pair = { image, text, batch, dim };
    const tolerance = { atol: 2e-5, rtol: 1e-4 };
    expectAllClose(gImage!, centralDifferences((x) => naiveContrastive({ ...pair, image: x }, temperature, ids), image), tolerance, 'd/d image');
    expectAllClose(gText!, centralDifferences((x) => naiveContrastive({ ...pair, text: x }, temperature, ids), text), tolerance, 'd/d text');
    expectAllClose(gTemp!, centralDifferences((x) => naiveContrastive(pair, x[0] as number, ids), [temperature]), tolerance, 'd/d temperature');
  });

  it('keeps the tensor count flat and rejects bad input by name', () => {
    const image = tf.tensor2d([[1, 0], [0, 1], [0.6, 0.8]]);
    const text = tf.tensor2d([[0, 1], [1, 0], [0.8, 0.6]]);
    const temperature = tf.scalar(0.07);
    tf.dispose(contrastiveLoss(image, text, { temperature, imageIds: new Int32Array([0, 1, 0]) }));
    const before = tf.memory().numTensors;
    for (let k = 0; k < 3; k++) tf.dispose(contrastiveLoss(image, text, { temperature, imageIds: new Int32Array([0, 1, 0]) }));
    expect(tf.memory().numTensors).toBe(before);
    expect(() => contrastiveLoss(image, tf.tensor2d([[1, 0]]), { temperature })).toThrow(/contrastiveLoss: image \[3,2\] and text \[1,2\]/);
    expect(() => contrastiveLoss(image, text, { temperature, imageIds: new Int32Array([0, 1]) })).toThrow(/imageIds has 2 entries for a batch of 3/);
    expect(() => contrastiveLoss(image, text, { temperature: 0 })).toThrow(/temperature must be a positive/);
    expect(() => contrastiveLoss(tf.tensor1d([1, 0]), text, { temperature })).toThrow(/image embeddings must be \[batch, dim\]/);
    tf.dispose([image, text, temperature]);
  });
});

describe('contrastiveTargets', () => {
  it('spreads each row evenly over the rows of its image', () => {
    const targets = contrastiveTargets(new Int32Array([4, 9, 4, 4]), 4);
    const third = 1 / 3;
    expectAllClose(targets, [third, 0, third, third, 0, 1, 0, 0, third, 0, third, third, third, 0, third, third], { atol: 1e-7 });
    expectAllClose(contrastiveTargets(undefined, 2), [1, 0, 0, 1], { atol: 0 });
  });
});
