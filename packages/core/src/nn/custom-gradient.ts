import * as tf from '@tensorflow/tfjs-core';

/** What the function given to `customGradient` returns: the value and how to differentiate it. */
export interface CustomGradientResult {
  value: tf.Tensor;
  /** d value → one gradient per input tensor, in order. */
  gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
}

/**
 * `tf.customGrad` with typed tensor arguments (tfjs does not export the type of its argument),
 * whose gradient function runs inside `tf.tidy`. tfjs calls a custom gradient function outside
 * any tidy and frees what it creates only when the whole backward pass ends, so every temporary
 * of every layer's backward (a transient weight copy, a softmax backward's products) would stay
 * alive until then.
 */
export function customGradient<Args extends tf.Tensor[]>(
  f: (...args: [...Args, tf.GradSaveFunc]) => CustomGradientResult,
): (...args: Args) => tf.Tensor {
  const tidied = (...args: [...Args, tf.GradSaveFunc]): CustomGradientResult => {
    const { value, gradFunc } = f(...args);
    return { value, gradFunc: (dy, saved) => tf.tidy(() => gradFunc(dy, saved)) };
  };
  return tf.customGrad(tidied as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...args: Args) => tf.Tensor;
}
