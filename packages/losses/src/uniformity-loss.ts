import * as tf from '@tensorflow/tfjs-core';
import { checkEmbeddings } from './embedding-pair';

export interface UniformityLossOptions {
  /** Scale of the Gaussian potential. Default: 2 (Wang & Isola). */
  t?: number;
}

/**
 * Uniformity of a batch on the hypersphere (Wang & Isola, 2020):
 * log(mean over pairs i < j of e^(−t·‖x_i − x_j‖²)); lower is more uniform.
 * Squared distances come from the Gram matrix, ‖x_i‖² + ‖x_j‖² − 2·x_i·x_j, clamped at zero.
 *
 * @param embeddings L2-normalised embeddings [B, D], B ≥ 2
 * @returns the loss, a scalar differentiable w.r.t. the embeddings
 */
export function uniformityLoss(embeddings: tf.Tensor, options: UniformityLossOptions = {}): tf.Scalar {
  const batch = checkEmbeddings('uniformityLoss', 'the', embeddings);
  if (batch < 2) throw new Error(`uniformityLoss: needs at least 2 embeddings, got ${batch}`);
  const t = options.t ?? 2;
  if (!(t > 0) || !Number.isFinite(t)) throw new Error(`uniformityLoss: t must be a positive finite number, got ${t}`);
  const upper = new Float32Array(batch * batch);
  for (let i = 0; i < batch; i++) for (let j = i + 1; j < batch; j++) upper[i * batch + j] = 1;
  return tf.tidy(() => {
    const squaredNorms = tf.sum(tf.square(embeddings), 1);
    const gram = tf.matMul(embeddings, embeddings, false, true);
    const squaredDistances = tf.relu(
      tf.sub(tf.add(tf.reshape(squaredNorms, [batch, 1]), tf.reshape(squaredNorms, [1, batch])), tf.mul(gram, 2)),
    );
    const kernel = tf.mul(tf.exp(tf.mul(squaredDistances, -t)), tf.tensor2d(upper, [batch, batch]));
    return tf.log(tf.div(tf.sum(kernel), (batch * (batch - 1)) / 2)) as tf.Scalar;
  });
}
