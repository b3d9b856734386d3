import * as tf from '@tensorflow/tfjs-core';

/**
 * Compute a tensor in a tidy scope and read its values back, disposing it. The values are read
 * outside `tf.tidy` on purpose: tidy walks every element of a returned typed array looking for
 * tensors, which costs seconds (and overflows a Set) for a block of millions of scores.
 */
export function hostValues(compute: () => tf.Tensor): Float32Array {
  const tensor = tf.tidy(compute);
  try {
    return tensor.dataSync() as Float32Array;
  } finally {
    tensor.dispose();
  }
}

/** The single value of a computed scalar (or the first value of a tensor). */
export function hostScalar(compute: () => tf.Tensor): number {
  return hostValues(compute)[0] as number;
}
