import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom, useBackend } from '@harma/core';
import { PORTABLE_BACKENDS, expectAllClose } from '@harma/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchGradients } from './batch-gradients';
import { objectiveHead } from './objective-head';
import { shardGradients } from './shard-gradients';
import { wholeBatchImageEmbeddings } from './whole-batch-images';
import { BatchStatisticsEncoder } from '../test/batch-statistics-encoder';
import { expectFlatTensorCount } from '../test/flat-tensor-count';
import { TinyDualEncoder, tinyBatch } from '../test/tiny-dual-encoder';

describe.each(PORTABLE_BACKENDS)('a batch-dependent image tower (BatchNorm in training mode) on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('is encoded once per step over the whole batch: micro-batches give the whole batch’s loss and gradients, the tensor count stays flat', () => {
    const rng = new SeededRandom(31);
    const encoder = new BatchStatisticsEncoder(rng);
    const batch = tinyBatch(7, rng);
    const whole = batchGradients(encoder, encoder.temperature, encoder.trainable, batch);
    expect(encoder.imageCalls).toBe(1);
    for (const microBatchSize of [3, 1]) {
      const calls = encoder.imageCalls;
      const accumulated = batchGradients(encoder, encoder.temperature, encoder.trainable, batch, { microBatchSize });
      expect(encoder.imageCalls, `image tower calls with micro-batches of ${microBatchSize}`).toBe(calls + 1);
      expect(accumulated.terms.total).toBeCloseTo(whole.terms.total, 5);
      expect([...accumulated.gradients.keys()]).toEqual(['temp', 'text.embedding']);
      for (const [name, gradient] of whole.gradients) {
        expectAllClose(accumulated.gradients.get(name)!, gradient, { atol: 1e-6, rtol: 1e-4 }, `${name} (micro-batch ${microBatchSize})`);
      }
      tf.dispose([...accumulated.gradients.values()]);
    }
    // Encoding in parts would have given other numbers: the whole batch's statistics matter.
    const pixels = tf.tensor4d(batch.pixels, [7, 3, 4, 4]);
    const parts = tf.concat([encoder.encodeImage(tf.slice(pixels, 0, 3)), encoder.encodeImage(tf.slice(pixels, 3, 4))]);
    expect(tf.max(tf.abs(tf.sub(parts, encoder.encodeImage(pixels)))).dataSync()[0]).toBeGreaterThan(1e-3);
    tf.dispose([...whole.gradients.values(), pixels, parts]);
    expectFlatTensorCount((microBatchSize) => tf.dispose([...batchGradients(encoder, encoder.temperature, encoder.trainable, batch, { microBatchSize }).gradients.values()]));
    encoder.dispose();
  });

  it('shards given the whole batch’s image embeddings sum to the whole batch’s gradient', () => {
    const rng = new SeededRandom(32);
    const encoder = new BatchStatisticsEncoder(rng);
    const batch = tinyBatch(7, rng);
    const towers = encoder.trainable.filter(([name]) => name !== 'temp');
    const whole = batchGradients(encoder, encoder.temperature, towers, batch);
    const pixels = tf.tensor4d(batch.pixels, [7, 3, 4, 4]);
    const tokens = tf.tensor2d(batch.tokens, [7, 6], 'int32');
    const images = wholeBatchImageEmbeddings(encoder, pixels, towers) as tf.Tensor;
    const head = objectiveHead(images, encoder.encodeText(tokens), { temperature: encoder.temperature, imageIds: batch.imageIds });
    const calls = encoder.imageCalls;
    const sums = new Map<string, tf.Tensor>();
    for (const [start, size] of [[0, 4], [4, 3]] as const) {
      const shard = { imageEmbeddings: tf.slice(images, start, size), tokens: tf.slice(tokens, start, size), size };
      const gradients = shardGradients(encoder, towers, shard, (image) => {
        expectAllClose(image, shard.imageEmbeddings, { atol: 0 }, 'the shard publishes the given rows');
        return { dImage: tf.slice(head.imageGradient, start, size), dText: tf.slice(head.textGradient, start, size) };
      }, { microBatchSize: 2 });
      for (const [name, gradient] of gradients) sums.set(name, sums.has(name) ? tf.add(sums.get(name)!, gradient) : gradient);
    }
    expect(encoder.imageCalls).toBe(calls);
    for (const [name, gradient] of whole.gradients) expectAllClose(sums.get(name)!, gradient, { atol: 1e-6, rtol: 1e-4 }, name);
    encoder.dispose();
  });

  it('refuses to split the batch while parameters inside that tower train; one pass over the whole batch differentiates them', () => {
    const rng = new SeededRandom(33);
    const encoder = new BatchStatisticsEncoder(rng);
    for (const [, parameter] of encoder.imageParameters()) parameter.trainable = true;
    const batch = tinyBatch(5, rng);
    expect(() => batchGradients(encoder, encoder.temperature, encoder.trainable, batch, { microBatchSize: 2 })).toThrow(
      /the image tower normalises with the statistics of the whole batch .* while parameters inside that tower train: image\.weight, image\.bias, image\.projection/,
    );
    const onePass = batchGradients(encoder, encoder.temperature, encoder.trainable, batch);
    expect([...onePass.gradients.keys()]).toEqual(['temp', 'image.weight', 'image.bias', 'image.projection', 'text.embedding']);
    expect(tf.max(tf.abs(onePass.gradients.get('image.weight')!)).dataSync()[0]).toBeGreaterThan(1e-4);
    tf.dispose([...onePass.gradients.values()]);
    encoder.dispose();
  });

  it('is left to the shards when the rows are independent (evaluation mode, or a tower without BatchNorm)', () => {
    const rng = new SeededRandom(34);
    const encoder = new BatchStatisticsEncoder(rng);
    encoder.training = false;
    const pixels = tf.zeros([2, 3, 4, 4]);
    expect(wholeBatchImageEmbeddings(encoder, pixels, encoder.trainable)).toBeUndefined();
    const plain = new TinyDualEncoder(rng);
    expect(wholeBatchImageEmbeddings(plain, pixels, plain.trainable)).toBeUndefined();
    tf.dispose(pixels);
    encoder.dispose();
    plain.dispose();
  });
});
