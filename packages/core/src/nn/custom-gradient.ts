import * as tf from '@tensorflow/tfjs-core';

/** What the function given to `customGradient` returns: the value and how to differentiate it. */
export interface CustomGradientResult {
  value: tf.Tensor;
  /** d value → one gradient per input tensor, in order. */
  gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
}

/** `tf.customGrad` with typed tensor arguments (tfjs does not export the type of its argument). */
export function customGradient<Args extends tf.Tensor[]>(
  f: (...args: [...Args, tf.GradSaveFunc]) => CustomGradientResult,
): (...args: Args) => tf.Tensor {
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...args: Args) => tf.Tensor;
}
