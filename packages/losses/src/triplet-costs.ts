import * as tf from '@tensorflow/tfjs-core';
import { identityMatrix, imageIdArray, sameImageMatrix, type ImageIds } from './embedding-pair';

export interface TripletCostOptions {
  /** Required gap between a positive and a negative score. */
  margin: number;
  /** Treat every pair of rows with the same image id as a positive, not a negative. */
  maskSameImage: boolean;
  /** Image id of each row, needed when `maskSameImage` is set. */
  imageIds: ImageIds | undefined;
}

/** Hinge costs of both retrieval directions, zero on non-negatives: each [B, B]. */
export interface TripletCosts {
  /** Image i as query, caption j as negative: max(0, margin + s[i, j] − s[i, i]). */
  imageQuery: tf.Tensor;
  /** Caption j as query, image i as negative: max(0, margin + s[i, j] − s[j, j]). */
  textQuery: tf.Tensor;
}

/**
 * The hinge costs of VSE++-style triplet losses from scores s = image·textᵀ. Negatives are the
 * off-diagonal pairs, or with `maskSameImage` the pairs of different image ids. Masks multiply
 * the costs (no gather), so every op has a gradient on every backend. Call inside `tf.tidy`.
 */
export function tripletCosts(loss: string, image: tf.Tensor, text: tf.Tensor, batch: number, options: TripletCostOptions): TripletCosts {
  if (!Number.isFinite(options.margin)) throw new Error(`${loss}: margin must be a finite number, got ${options.margin}`);
  let positives: Float32Array;
  if (options.maskSameImage) {
    if (options.imageIds === undefined) throw new Error(`${loss}: maskSameImage needs imageIds`);
    positives = sameImageMatrix(imageIdArray(loss, options.imageIds, batch));
  } else {
    positives = identityMatrix(batch);
  }
  const scores = tf.matMul(image, text, false, true);
  const eye = tf.tensor2d(identityMatrix(batch), [batch, batch]);
  // s[i, i] taken from the score matrix itself (as the official `scores.diag()`), [B].
  const diagonal = tf.sum(tf.mul(scores, eye), 1);
  const negatives = tf.sub(1, tf.tensor2d(positives, [batch, batch]));
  const shifted = tf.add(scores, options.margin);
  const imageQuery = tf.mul(tf.relu(tf.sub(shifted, tf.reshape(diagonal, [batch, 1]))), negatives);
  const textQuery = tf.mul(tf.relu(tf.sub(shifted, tf.reshape(diagonal, [1, batch]))), negatives);
  return { imageQuery, textQuery };
}

/** The hardest negative of each query: image queries along rows [B], text queries along columns [B]. */
export function hardestCosts(costs: TripletCosts): TripletCosts {
  return { imageQuery: tf.max(costs.imageQuery, 1), textQuery: tf.max(costs.textQuery, 0) };
}
