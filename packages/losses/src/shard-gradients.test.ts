import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom, useBackend, valueAndGradients } from '@harma/core';
import { PORTABLE_BACKENDS, expectAllClose } from '@harma/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { harmaObjective } from './harma-objective';
import { objectiveHead } from './objective-head';
import { shardGradients, type EmbeddingExchange, type Shard } from './shard-gradients';
import { expectFlatTensorCount } from '../test/flat-tensor-count';
import { TinyDualEncoder, tinyBatch } from '../test/tiny-dual-encoder';
import type { TrainingBatch } from './batch-gradients';

const LOSS = { contrastive: 1, triplet: 1, uniformity: 0.5, margin: 0.2, gamma: 2 };

function shardOf(batch: TrainingBatch, start: number, size: number): Shard & { pixels: tf.Tensor } {
  const per = 3 * batch.imageSize * batch.imageSize;
  const length = batch.tokens.length / batch.size;
  return {
    pixels: tf.tensor4d(batch.pixels.slice(start * per, (start + size) * per), [size, 3, batch.imageSize, batch.imageSize]),
    tokens: tf.tensor2d(batch.tokens.slice(start * length, (start + size) * length), [size, length], 'int32'),
    size,
  };
}

describe.each(PORTABLE_BACKENDS)('shardGradients on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('shards of a batch sum to the whole batch’s gradient, micro-batched or not', () => {
    const rng = new SeededRandom(5);
    const encoder = new TinyDualEncoder(rng);
    const batch = tinyBatch(7, rng);
    const towers = encoder.trainable.filter(([name]) => name !== 'temp');
    const whole = shardOf(batch, 0, batch.size);
    const direct = valueAndGradients(
      () => harmaObjective(encoder.encodeImage(whole.pixels), encoder.encodeText(whole.tokens), { ...LOSS, temperature: encoder.temperature.value, imageIds: batch.imageIds }).total,
      towers,
    );
    // What another thread would compute: the objective's gradient w.r.t. every row's embeddings.
    const image = encoder.encodeImage(whole.pixels);
    const text = encoder.encodeText(whole.tokens);
    const head = objectiveHead(image, text, { temperature: encoder.temperature, imageIds: batch.imageIds, loss: LOSS });
    for (const microBatchSize of [undefined, 2]) {
      const sums = new Map<string, tf.Tensor>();
      for (const [start, size] of [[0, 4], [4, 3]] as const) {
        const shard = shardOf(batch, start, size);
        let calls = 0;
        const exchange: EmbeddingExchange = (shardImage, shardText) => {
          calls++;
          // The shard publishes its rows of the batch's embeddings (encoded in micro-batches, they may differ in the last bits).
          expectAllClose(shardImage, tf.slice(image, start, size), { atol: 1e-6 }, 'published image rows');
          expectAllClose(shardText, tf.slice(text, start, size), { atol: 1e-6 }, 'published text rows');
          return { dImage: tf.slice(head.imageGradient, start, size), dText: tf.slice(head.textGradient, start, size) };
        };
        const gradients = shardGradients(encoder, towers, shard, exchange, { microBatchSize });
        expect(calls).toBe(1);
        expect([...gradients.keys()]).toEqual(towers.map(([name]) => name));
        for (const [name, gradient] of gradients) {
          const sum = sums.get(name);
          sums.set(name, sum ? tf.add(sum, gradient) : gradient);
          if (sum) tf.dispose([sum, gradient]);
        }
        tf.dispose([shard.pixels, shard.tokens]);
      }
      for (const [name, gradient] of direct.gradients) {
        expect(tf.max(tf.abs(gradient)).dataSync()[0]).toBeGreaterThan(1e-4);
        expectAllClose(sums.get(name)!, gradient, { atol: 1e-6, rtol: 1e-5 }, `${name} (micro-batch ${microBatchSize ?? 'none'})`);
      }
      tf.dispose([...sums.values()]);
    }
    tf.dispose([direct.value, ...direct.gradients.values(), image, text, head.imageGradient, head.textGradient, head.temperatureGradient!, whole.pixels, whole.tokens]);
    encoder.dispose();
  });

  it('with no parameter to differentiate only publishes the embeddings', () => {
    const rng = new SeededRandom(6);
    const encoder = new TinyDualEncoder(rng);
    const batch = tinyBatch(3, rng);
    const shard = shardOf(batch, 0, 3);
    const published: number[][] = [];
    const gradients = shardGradients(encoder, [], shard, (image, text) => {
      published.push(image.shape, text.shape);
      return { dImage: tf.zerosLike(image), dText: tf.zerosLike(text) };
    });
    expect(gradients.size).toBe(0);
    expect(published).toEqual([[3, 8], [3, 8]]);
    tf.dispose([shard.pixels, shard.tokens]);
    encoder.dispose();
  });

  it('keeps the tensor count flat across calls', () => {
    const rng = new SeededRandom(7);
    const encoder = new TinyDualEncoder(rng);
    const batch = tinyBatch(5, rng);
    const shard = shardOf(batch, 0, 5);
    const towers = encoder.trainable.filter(([name]) => name !== 'temp');
    const exchange: EmbeddingExchange = (image, text) => ({ dImage: tf.onesLike(image), dText: tf.onesLike(text) });
    expectFlatTensorCount((microBatchSize) => tf.dispose([...shardGradients(encoder, towers, shard, exchange, { microBatchSize }).values()]));
    tf.dispose([shard.pixels, shard.tokens]);
    encoder.dispose();
  });
});
