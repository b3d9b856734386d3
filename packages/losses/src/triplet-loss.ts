import * as tf from '@tensorflow/tfjs-core';
import { checkEmbeddingPair, type ImageIds } from './embedding-pair';
import { hardestCosts, tripletCosts } from './triplet-costs';

export interface TripletLossOptions {
  /** Margin of the hinge. Default: 0.2 (VSE++). */
  margin?: number;
  /** Sum only the hardest negative of each query instead of every negative. Default: false. */
  maxViolation?: boolean;
  /** Treat pairs of rows with the same image id as positives rather than negatives. Default: false. */
  maskSameImage?: boolean;
  /** Image id of each row; only read when `maskSameImage` is set. */
  imageIds?: ImageIds;
}

/**
 * The VSE++ hinge triplet loss (Faghri et al.): with s = image·textᵀ, the sum over negatives of
 * max(0, margin + s[i, j] − s[i, i]) (image queries) plus max(0, margin + s[i, j] − s[j, j])
 * (caption queries), not halved; with `maxViolation`, only each query's hardest negative counts.
 *
 * @param image L2-normalised image embeddings [B, D]
 * @param text L2-normalised text embeddings [B, D], row i paired with image row i
 * @returns the loss, a scalar differentiable w.r.t. both embeddings
 */
export function tripletLoss(image: tf.Tensor, text: tf.Tensor, options: TripletLossOptions = {}): tf.Scalar {
  const batch = checkEmbeddingPair('tripletLoss', image, text);
  return tf.tidy(() => {
    let costs = tripletCosts('tripletLoss', image, text, batch, {
      margin: options.margin ?? 0.2,
      maskSameImage: options.maskSameImage ?? false,
      imageIds: options.imageIds,
    });
    if (options.maxViolation) costs = hardestCosts(costs);
    return tf.add(tf.sum(costs.imageQuery), tf.sum(costs.textQuery)) as tf.Scalar;
  });
}
