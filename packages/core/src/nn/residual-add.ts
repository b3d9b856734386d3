import * as tf from '@tensorflow/tfjs-core';
import { customGradient } from './custom-gradient';

const addKeepingNothing = customGradient<[tf.Tensor, tf.Tensor]>((a, b) => ({
  value: tf.add(a, b),
  gradFunc: (dy) => [dy, dy],
}));

/**
 * a + b for two tensors of the same shape (a residual connection), whose gradient keeps nothing
 * for the backward pass. `tf.add` keeps both inputs alive until the backward pass only to read
 * their shapes (it may have to undo broadcasting): two activations per residual connection.
 */
export function residualAdd(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (!tf.util.arraysEqual(a.shape, b.shape)) throw new Error(`residualAdd: shapes [${a.shape}] and [${b.shape}] differ`);
  return addKeepingNothing(a, b);
}
