import * as tf from '@tensorflow/tfjs-core';

/**
 * Scale gradients so their global L2 norm is at most `maxNorm` (PyTorch's `clip_grad_norm_`,
 * coefficient `maxNorm / (norm + 1e-6)` clamped at 1). Returns the clipped gradients (new
 * tensors; the inputs are left to the caller) and the norm before clipping.
 */
export function clipGradientNorm(gradients: ReadonlyMap<string, tf.Tensor>, maxNorm: number): { gradients: Map<string, tf.Tensor>; norm: number } {
  const norm = Math.sqrt(
    [...gradients.values()].reduce((sum, g) => sum + (tf.tidy(() => tf.sum(tf.square(g))).dataSync()[0] as number), 0),
  );
  const coefficient = Math.min(1, maxNorm / (norm + 1e-6));
  const clipped = new Map<string, tf.Tensor>();
  for (const [name, g] of gradients) clipped.set(name, tf.mul(g, coefficient));
  return { gradients: clipped, norm };
}
