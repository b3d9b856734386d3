import * as tf from '@tensorflow/tfjs-core';
import { valueAndGradients, type Parameter } from '@harma/core';
import type { TrainingEncoder } from './whole-batch-images';

/**
 * A contiguous part of a batch (one thread's share, or the whole batch), as tensors: its pixels,
 * or its image embeddings already computed for the whole batch (`wholeBatchImageEmbeddings`).
 */
export type Shard = {
  /** [size, contextLength] int32, zero padded. */
  tokens: tf.Tensor;
  size: number;
} & (
  | {
      /** [size, 3, imageSize, imageSize] float32, normalised. */
      pixels: tf.Tensor;
      imageEmbeddings?: undefined;
    }
  | {
      /**
       * [size, embedDim]: the shard's rows of the whole batch's image embeddings. They are used as
       * they are and nothing is back-propagated through the image tower.
       */
      imageEmbeddings: tf.Tensor;
      pixels?: undefined;
    }
);

/**
 * Publishes a shard's embeddings ([size, embedDim] each) and returns d objective / d embedding
 * for its rows ([size, embedDim] each) once the whole batch's objective has been computed —
 * elsewhere (another thread) or right here (`batchGradients`). The returned tensors belong to
 * the caller. The embeddings it receives may be recorded for a gradient: an exchange that
 * computes on them must take their values, not the tensors (see `batchGradients`).
 */
export type EmbeddingExchange = (image: tf.Tensor, text: tf.Tensor) => { dImage: tf.Tensor; dText: tf.Tensor };

export interface ShardGradientOptions {
  /** Pairs encoded at once within the shard. Default: the whole shard, one forward pass. */
  microBatchSize?: number;
}

interface Rows {
  start: number;
  size: number;
}

/**
 * The gradients of the whole batch's objective w.r.t. `parameters` that flow through this
 * shard's pairs. The contrastive and triplet losses compare every pair of the batch, so no shard
 * can compute its own loss: it publishes its embeddings e and gets back g = d objective / d e for
 * its rows, then back-propagates the surrogate Σ e ⊙ stop(g), whose gradient is exactly its
 * share; the shares sum to the whole batch's gradient.
 *
 * The shard is encoded once, inside the gradient function, which waits in `exchange` while the
 * objective is computed. With a micro-batch smaller than the shard it is gradient caching
 * instead: encode every micro-batch without recording, exchange, then re-encode each
 * micro-batch recording and sum its gradients (one more forward pass; the memory of one
 * micro-batch). Only the backbone's `encodeImage` and `encodeText` are used; a shard that comes
 * with its image embeddings (a batch-dependent image tower) encodes only its text.
 *
 * @returns d objective / d parameter by name, in the order of `parameters` (zeros where it has
 *   no influence; empty when `parameters` is)
 */
export function shardGradients(
  backbone: TrainingEncoder,
  parameters: ReadonlyArray<readonly [string, Parameter]>,
  shard: Shard,
  exchange: EmbeddingExchange,
  options: ShardGradientOptions = {},
): Map<string, tf.Tensor> {
  const micro = Math.min(options.microBatchSize ?? shard.size, shard.size);
  const rows = (t: tf.Tensor, part: Rows): tf.Tensor => (part.start === 0 && part.size === shard.size ? t : tf.slice(t, part.start, part.size));
  // The image embeddings of some rows: encoded, or the given ones (a constant of the gradient).
  const images = (part: Rows): tf.Tensor => (shard.imageEmbeddings ? rows(shard.imageEmbeddings, part) : backbone.encodeImage(rows(shard.pixels, part)));
  const whole = { start: 0, size: shard.size };
  if (parameters.length === 0) {
    // Only `temp` trains: the shard's embeddings are all the objective needs from it.
    tf.tidy(() => {
      exchange(images(whole), backbone.encodeText(shard.tokens));
    });
    return new Map();
  }
  if (micro >= shard.size) {
    const { value, gradients } = valueAndGradients(() => {
      const image = images(whole);
      const text = backbone.encodeText(shard.tokens);
      const { dImage, dText } = exchange(image, text);
      return surrogate(image, dImage, text, dText);
    }, parameters);
    value.dispose();
    return gradients;
  }

  const parts: Rows[] = [];
  for (let start = 0; start < shard.size; start += micro) parts.push({ start, size: Math.min(micro, shard.size - start) });
  const { dImage, dText } = tf.tidy(() => {
    const image = shard.imageEmbeddings ?? tf.concat(parts.map(images), 0);
    const text = tf.concat(parts.map((part) => backbone.encodeText(rows(shard.tokens, part))), 0);
    return exchange(image, text);
  });
  const sums = new Map<string, tf.Tensor>();
  for (const part of parts) {
    const { value, gradients } = valueAndGradients(() => {
      const image = images(part);
      const text = backbone.encodeText(rows(shard.tokens, part));
      return surrogate(image, rows(dImage, part), text, rows(dText, part));
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

/** Σ image ⊙ dImage + Σ text ⊙ dText: its gradient w.r.t. the embeddings is exactly (dImage, dText). */
function surrogate(image: tf.Tensor, dImage: tf.Tensor, text: tf.Tensor, dText: tf.Tensor): tf.Scalar {
  return tf.add(tf.sum(tf.mul(image, dImage)), tf.sum(tf.mul(text, dText))) as tf.Scalar;
}
