import * as tf from '@tensorflow/tfjs-core';

/**
 * The global L2 norm of a set of gradients: each tensor's sum of squares in float32, added up in
 * double precision on the host (what `clip_grad_norm_` reports). Leaves no tensor behind.
 */
export function globalGradientNorm(gradients: ReadonlyMap<string, tf.Tensor>): number {
  let sum = 0;
  for (const gradient of gradients.values()) {
    const squares = tf.tidy(() => tf.sum(tf.square(gradient)));
    sum += squares.dataSync()[0] as number;
    squares.dispose();
  }
  return Math.sqrt(sum);
}

/**
 * Scale gradients so their global L2 norm is at most `maxNorm` (PyTorch's `clip_grad_norm_`,
 * coefficient `maxNorm / (norm + 1e-6)` clamped at 1). Returns the clipped gradients (new
 * tensors; the inputs are left to the caller) and the norm before clipping.
 */
export function clipGradientNorm(gradients: ReadonlyMap<string, tf.Tensor>, maxNorm: number): { gradients: Map<string, tf.Tensor>; norm: number } {
  const norm = globalGradientNorm(gradients);
  const coefficient = Math.min(1, maxNorm / (norm + 1e-6));
  const clipped = new Map<string, tf.Tensor>();
  for (const [name, g] of gradients) clipped.set(name, tf.mul(g, coefficient));
  return { gradients: clipped, norm };
}
