import * as tf from '@tensorflow/tfjs-core';

/**
 * Rows [start, start + count) of x [N, ...] as a new tensor. A gather, not `tf.slice`: the wasm
 * backend's slice kernel (tfjs 4.22) copies the WHOLE input out of wasm memory on every call,
 * 100 MB for a 50k × 512 gallery, while gather copies only the rows asked for.
 */
export function rowBlock(x: tf.Tensor, start: number, count: number): tf.Tensor {
  return tf.tidy(() => tf.gather(x, tf.range(start, start + count, 1, 'int32')));
}

/**
 * Rows [start, start + count) of x [N, D], transposed to [D, count], ready to be the right factor
 * of a plain matMul: on wasm `matMul(a, b, false, true)` runs several times slower than a
 * transpose followed by a plain matMul.
 */
export function transposedRowBlock(x: tf.Tensor, start: number, count: number): tf.Tensor {
  return tf.tidy(() => tf.transpose(rowBlock(x, start, count)));
}
