import * as tf from '@tensorflow/tfjs-core';
import { contrastiveLoss } from './contrastive-loss';
import { checkEmbeddingPair, type ImageIds } from './embedding-pair';
import { uniformityLoss } from './uniformity-loss';
import { weightedTripletLoss } from './weighted-triplet-loss';

/**
 * The settings of the HarMA objective, one shape from a training config to the loss: the weight of
 * each term and the triplet's margin and focusing exponent. Every field is optional; a missing one
 * takes its value from `HARMA_LOSS_DEFAULTS` (the paper's loss).
 */
export interface HarmaLossSettings {
  /** Weight of the contrastive loss. Default: 1. */
  contrastive?: number;
  /** Weight of the weighted triplet loss. Default: 1. */
  triplet?: number;
  /** Weight of the uniformity term; computed only when above 0. Default: 0 (not part of HarMA). */
  uniformity?: number;
  /** Triplet margin. Default: 0.2. */
  margin?: number;
  /** Triplet focusing exponent. Default: 2. */
  gamma?: number;
}

/** The paper's loss: contrastive + weighted triplet (margin 0.2, gamma 2), no uniformity term. */
export const HARMA_LOSS_DEFAULTS: Readonly<Required<HarmaLossSettings>> = Object.freeze({ contrastive: 1, triplet: 1, uniformity: 0, margin: 0.2, gamma: 2 });

export interface HarmaObjectiveOptions extends HarmaLossSettings {
  /** Contrastive temperature; a tensor (the `temp` Parameter's value) receives a gradient. */
  temperature: tf.Tensor | number;
  /** Image id of each row, for the contrastive targets (and `maskSameImage`). Default: one image per row. */
  imageIds?: ImageIds;
  /** Triplet: treat same-image pairs as positives. Default: false (the paper ignores ids there). */
  maskSameImage?: boolean;
}

/** Every term of the objective; the caller owns (and disposes) each scalar. */
export interface HarmaObjective {
  /** The weighted sum of the terms: what training minimises. */
  total: tf.Scalar;
  contrastive: tf.Scalar;
  triplet: tf.Scalar;
  /** (uniformity(image) + uniformity(text)) / 2, present only when its weight is above 0. */
  uniformity?: tf.Scalar;
}

/**
 * The HarMA training objective: contrastive (image-id aware, learnable temperature) + adaptive
 * weighted triplet, each with a weight, optionally plus a uniformity term. With the default
 * settings `total` is the paper's `loss_contrastive + loss_triplet_weighted`.
 *
 * @param image L2-normalised image embeddings [B, D]
 * @param text L2-normalised text embeddings [B, D], row i paired with image row i
 */
export function harmaObjective(image: tf.Tensor, text: tf.Tensor, options: HarmaObjectiveOptions): HarmaObjective {
  checkEmbeddingPair('harmaObjective', image, text);
  const contrastiveWeight = options.contrastive ?? HARMA_LOSS_DEFAULTS.contrastive;
  const tripletWeight = options.triplet ?? HARMA_LOSS_DEFAULTS.triplet;
  const uniformityWeight = options.uniformity ?? HARMA_LOSS_DEFAULTS.uniformity;
  for (const [name, value] of [['contrastive', contrastiveWeight], ['triplet', tripletWeight], ['uniformity', uniformityWeight]] as const) {
    if (!Number.isFinite(value) || value < 0) throw new Error(`harmaObjective: the ${name} weight must be a finite number ≥ 0, got ${value}`);
  }
  return tf.tidy(() => {
    const contrastive = contrastiveLoss(image, text, { temperature: options.temperature, imageIds: options.imageIds });
    const triplet = weightedTripletLoss(image, text, {
      margin: options.margin ?? HARMA_LOSS_DEFAULTS.margin,
      gamma: options.gamma ?? HARMA_LOSS_DEFAULTS.gamma,
      maskSameImage: options.maskSameImage,
      imageIds: options.imageIds,
    });
    let total = tf.add(tf.mul(contrastive, contrastiveWeight), tf.mul(triplet, tripletWeight));
    if (uniformityWeight <= 0) return { total: total as tf.Scalar, contrastive, triplet };
    const uniformity = tf.mul(tf.add(uniformityLoss(image), uniformityLoss(text)), 0.5) as tf.Scalar;
    total = tf.add(total, tf.mul(uniformity, uniformityWeight));
    return { total: total as tf.Scalar, contrastive, triplet, uniformity };
  });
}
