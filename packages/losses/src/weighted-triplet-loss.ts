import * as tf from '@tensorflow/tfjs-core';
import { checkEmbeddingPair, type ImageIds } from './embedding-pair';
import { hardestCosts, tripletCosts } from './triplet-costs';

export interface WeightedTripletLossOptions {
  /** Margin of the hinge. Default: 0.2 (HarMA). */
  margin?: number;
  /** Focusing exponent of the weights (1 − e^(−cost))^gamma. Default: 2 (HarMA). */
  gamma?: number;
  /**
   * Treat pairs of rows with the same image id as positives rather than negatives. Default: false,
   * as in the paper's code: every off-diagonal pair is a negative, whatever the ids say.
   */
  maskSameImage?: boolean;
  /** Image id of each row; only read when `maskSameImage` is set. */
  imageIds?: ImageIds;
  /** Keep only the hardest negative of each query (VSE++ max violation). Default: false. */
  maxViolation?: boolean;
}

/**
 * (1 − e^(−c))^gamma · c elementwise for costs c ≥ 0. The weight is part of the graph, so it is
 * differentiated too (as in the official code). Where the base is zero it is replaced by one
 * before `pow` and the weight multiplied by zero, so a gamma below one cannot produce an infinite
 * derivative that would turn into NaN (`step` has a zero gradient, unlike `greater`, which has none).
 */
export function weightedCost(cost: tf.Tensor, gamma: number): tf.Tensor {
  const base = tf.sub(1, tf.exp(tf.neg(cost)));
  const positive = tf.step(base);
  const safeBase = tf.add(base, tf.sub(1, positive));
  const weight = tf.mul(tf.pow(safeBase, tf.scalar(gamma)), positive);
  return tf.mul(weight, cost);
}

/**
 * HarMA's adaptive weighted triplet loss. With s = image·textᵀ, each negative pair costs
 * c = max(0, margin + s[i, j] − s_positive) for the image query (positive s[i, i]) and the caption
 * query (positive s[j, j]); each cost is weighted by (1 − e^(−c))^gamma so that hard negatives
 * dominate; the loss is (Σ weighted image-query costs + Σ weighted caption-query costs) / 2.
 *
 * @param image L2-normalised image embeddings [B, D]
 * @param text L2-normalised text embeddings [B, D], row i paired with image row i
 * @returns the loss, a scalar differentiable w.r.t. both embeddings
 */
export function weightedTripletLoss(image: tf.Tensor, text: tf.Tensor, options: WeightedTripletLossOptions = {}): tf.Scalar {
  const batch = checkEmbeddingPair('weightedTripletLoss', image, text);
  const gamma = options.gamma ?? 2;
  if (!(gamma >= 0) || !Number.isFinite(gamma)) throw new Error(`weightedTripletLoss: gamma must be a finite number ≥ 0, got ${gamma}`);
  return tf.tidy(() => {
    let costs = tripletCosts('weightedTripletLoss', image, text, batch, {
      margin: options.margin ?? 0.2,
      maskSameImage: options.maskSameImage ?? false,
      imageIds: options.imageIds,
    });
    // The weighted cost grows with the cost, so the hardest negative by cost is also the hardest by weighted cost.
    if (options.maxViolation) costs = hardestCosts(costs);
    const total = tf.add(tf.sum(weightedCost(costs.imageQuery, gamma)), tf.sum(weightedCost(costs.textQuery, gamma)));
    return tf.mul(total, 0.5) as tf.Scalar;
  });
}
