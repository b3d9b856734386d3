import * as tf from '@tensorflow/tfjs-core';
import { tapeGradients, type Parameter } from '@harma/core';
import type { ImageIds } from './embedding-pair';
import { harmaObjective, type HarmaLossSettings, type HarmaObjective } from './harma-objective';

/** The terms of the HarMA objective of one batch as plain numbers (for logs and checks). */
export interface LossTerms {
  total: number;
  contrastive: number;
  triplet: number;
  /** Present only when the uniformity weight is above 0. */
  uniformity?: number;
}

export interface ObjectiveHeadOptions {
  /** The `temp` Parameter: its gradient is computed when it is trainable. */
  temperature: Parameter;
  /** Image id of each row of the whole batch. Default: one image per row. */
  imageIds?: ImageIds;
  /** Default: `HARMA_LOSS_DEFAULTS`, the paper's loss. */
  loss?: HarmaLossSettings;
}

/** The whole batch's objective and its gradients; the caller owns (and disposes) every tensor. */
export interface ObjectiveHead {
  terms: LossTerms;
  /** d total / d image embeddings, [B, D]. */
  imageGradient: tf.Tensor;
  /** d total / d text embeddings, [B, D]. */
  textGradient: tf.Tensor;
  /** d total / d temp (shape of `temp`), present when `temp` is trainable. */
  temperatureGradient?: tf.Tensor;
}

/**
 * The head of a gradient-cached step: the HarMA objective of the whole batch's embeddings, its
 * gradient with respect to every embedding and to `temp`, and its terms as numbers. The
 * embeddings must be leaves (not recorded through an encoder): gradients stop at them, and each
 * part of the batch back-propagates its rows of them through its own encoder (`shardGradients`).
 *
 * @param image L2-normalised image embeddings of the whole batch [B, D]
 * @param text L2-normalised text embeddings [B, D], row i paired with image row i
 */
export function objectiveHead(image: tf.Tensor, text: tf.Tensor, options: ObjectiveHeadOptions): ObjectiveHead {
  const { temperature } = options;
  const xs = temperature.trainable ? [image, text, temperature.value] : [image, text];
  let terms: LossTerms | undefined;
  const { value, grads } = tapeGradients(() => {
    const objective = harmaObjective(image, text, { ...options.loss, temperature: temperature.value, imageIds: options.imageIds });
    terms = lossTermsOf(objective);
    return objective.total;
  }, xs);
  value.dispose();
  const [imageGradient, textGradient, temperatureGradient] = grads.map((gradient, i) => gradient ?? tf.zerosLike(xs[i] as tf.Tensor));
  return {
    terms: terms as LossTerms,
    imageGradient: imageGradient as tf.Tensor,
    textGradient: textGradient as tf.Tensor,
    ...(temperatureGradient ? { temperatureGradient } : {}),
  };
}

/** The objective's terms read back as numbers. */
function lossTermsOf(objective: HarmaObjective): LossTerms {
  const terms: LossTerms = {
    total: objective.total.dataSync()[0] as number,
    contrastive: objective.contrastive.dataSync()[0] as number,
    triplet: objective.triplet.dataSync()[0] as number,
  };
  if (objective.uniformity) terms.uniformity = objective.uniformity.dataSync()[0] as number;
  return terms;
}
