import * as tf from '@tensorflow/tfjs-core';
import { checkEmbeddingPair, identityMatrix, imageIdArray, sameImageMatrix, temperatureScalar, type ImageIds } from './embedding-pair';

export interface ContrastiveLossOptions {
  /**
   * Softmax temperature: logits = image·textᵀ / temperature. A tensor (e.g. the `temp`
   * Parameter's value, HarMA initialises it at 0.07) receives a gradient; a number is a constant.
   */
  temperature: tf.Tensor | number;
  /**
   * Image id of each row. Rows with the same id are all positives of each other and the target
   * of a row is spread evenly over them. Default: none, every row is its own image (targets = identity).
   */
  imageIds?: ImageIds;
}

/**
 * Row-normalised positive pattern: T[i, j] = [id_i = id_j] / Σ_j [id_i = id_j], [B, B].
 * It is symmetric, because rows with equal ids have equal counts.
 */
export function contrastiveTargets(ids: Int32Array | undefined, batch: number): Float32Array {
  if (!ids) return identityMatrix(batch);
  const targets = sameImageMatrix(ids);
  for (let i = 0; i < batch; i++) {
    let count = 0;
    for (let j = 0; j < batch; j++) count += targets[i * batch + j] as number;
    for (let j = 0; j < batch; j++) targets[i * batch + j] = (targets[i * batch + j] as number) / count;
  }
  return targets;
}

/**
 * Image-text InfoNCE of HarMA, the official `get_contr_loss` at world size 1:
 * `L = image·textᵀ / temperature` [B, B], soft targets T (see `contrastiveTargets`),
 * `(mean_i −Σ_j T·log_softmax(L) + mean_i −Σ_j T·log_softmax(Lᵀ)) / 2`.
 *
 * @param image L2-normalised image embeddings [B, D]
 * @param text L2-normalised text embeddings [B, D], row i paired with image row i
 * @returns the loss, a scalar differentiable w.r.t. both embeddings and a tensor temperature
 */
export function contrastiveLoss(image: tf.Tensor, text: tf.Tensor, options: ContrastiveLossOptions): tf.Scalar {
  const batch = checkEmbeddingPair('contrastiveLoss', image, text);
  const ids = options.imageIds === undefined ? undefined : imageIdArray('contrastiveLoss', options.imageIds, batch);
  return tf.tidy(() => {
    const temperature = temperatureScalar('contrastiveLoss', options.temperature);
    const logits = tf.div(tf.matMul(image, text, false, true), temperature);
    const targets = tf.tensor2d(contrastiveTargets(ids, batch), [batch, batch]);
    const crossEntropy = (rowLogits: tf.Tensor): tf.Tensor =>
      tf.neg(tf.mean(tf.sum(tf.mul(targets, tf.logSoftmax(rowLogits)), 1)));
    const imageToText = crossEntropy(logits);
    const textToImage = crossEntropy(tf.transpose(logits));
    return tf.mul(tf.add(imageToText, textToImage), 0.5) as tf.Scalar;
  });
}
