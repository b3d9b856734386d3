import * as tf from '@tensorflow/tfjs-core';
import { valueAndGradients, type Backbone, type Parameter } from '@harma/core';

/** One thread's share of a batch, as tensors. */
export interface Shard {
  /** [size, 3, imageSize, imageSize] float32. */
  pixels: tf.Tensor;
  /** [size, contextLength] int32. */
  tokens: tf.Tensor;
  size: number;
}

/**
 * Publishes this shard's embeddings ([size, embedDim] each) and returns d objective / d embedding
 * for its rows once the whole batch's objective has been computed — blocking until then.
 */
export type EmbeddingExchange = (image: tf.Tensor, text: tf.Tensor) => { dImage: tf.Tensor; dText: tf.Tensor };

export interface ShardGradientOptions {
  /** Pairs encoded at once within the shard (default: the whole shard, one forward pass). */
  microBatchSize?: number;
}

/**
 * The gradients of the whole-batch objective w.r.t. `parameters` that flow through this shard's
 * pairs. The contrastive and triplet losses compare every pair of the batch, so no shard can
 * compute its own loss: each publishes its embeddings and gets back d objective / d embedding
 * for its rows, then back-propagates the surrogate Σ e ⊙ stop(dL/de), whose gradient is exactly
 * its share; the shares sum to the whole batch's gradient.
 *
 * The shard is encoded once, inside the gradient function, which blocks in `exchange` while the
 * objective is computed elsewhere. With a micro-batch smaller than the shard it is gradient
 * caching instead: encode without recording, exchange, re-encode each micro-batch recording
 * (one more forward pass, memory of one micro-batch).
 */
export function shardGradients(
  backbone: Backbone,
  parameters: ReadonlyArray<readonly [string, Parameter]>,
  shard: Shard,
  exchange: EmbeddingExchange,
  options: ShardGradientOptions = {},
): Map<string, tf.Tensor> {
  const micro = Math.min(options.microBatchSize ?? shard.size, shard.size);
  if (parameters.length === 0) {
    // Only `temp` trains: the shard's embeddings are all the objective needs from it.
    tf.tidy(() => {
      exchange(backbone.encodeImage(shard.pixels), backbone.encodeText(shard.tokens));
    });
    return new Map();
  }
  if (micro >= shard.size) {
    const { value, gradients } = valueAndGradients(() => {
      const image = backbone.encodeImage(shard.pixels);
      const text = backbone.encodeText(shard.tokens);
      const { dImage, dText } = exchange(image, text);
      return tf.add(tf.sum(tf.mul(image, dImage)), tf.sum(tf.mul(text, dText))) as tf.Scalar;
    }, parameters);
    value.dispose();
    return gradients;
  }

  const parts: Array<{ start: number; size: number }> = [];
  for (let start = 0; start < shard.size; start += micro) parts.push({ start, size: Math.min(micro, shard.size - start) });
  const rows = (t: tf.Tensor, part: { start: number; size: number }): tf.Tensor => tf.slice(t, part.start, part.size);
  const { dImage, dText } = tf.tidy(() => {
    const image = tf.concat(parts.map((part) => backbone.encodeImage(rows(shard.pixels, part))), 0);
    const text = tf.concat(parts.map((part) => backbone.encodeText(rows(shard.tokens, part))), 0);
    return exchange(image, text);
  });
  const sums = new Map<string, tf.Tensor>();
  for (const part of parts) {
    const { value, gradients } = valueAndGradients(() => {
      const image = backbone.encodeImage(rows(shard.pixels, part));
      const text = backbone.encodeText(rows(shard.tokens, part));
      return tf.add(tf.sum(tf.mul(image, rows(dImage, part))), tf.sum(tf.mul(text, rows(dText, part)))) as tf.Scalar;
    }, parameters);
    value.dispose();
    for (const [name, gradient] of gradients) {
      const sum = sums.get(name);
      sums.set(name, sum ? tf.add(sum, gradient) : gradient);
      if (sum) tf.dispose([sum, gradient]);
    }
  }
  tf.dispose([dImage, dText]);
  return sums;
}
