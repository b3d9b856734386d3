import * as tf from '@tensorflow/tfjs-core';

/**
 * Copy `value` into `variable`: the shapes must match (`what` names the variable in the error),
 * and the value is cast to the variable's dtype (an int32 buffer loaded from a float file).
 */
export function assignVariable(variable: tf.Variable, value: tf.Tensor, what: string): void {
  if (!tf.util.arraysEqual(value.shape, variable.shape)) {
    throw new Error(`cannot assign a tensor of shape [${value.shape}] to a ${what} of shape [${variable.shape}]`);
  }
  if (value.dtype === variable.dtype) {
    variable.assign(value);
    return;
  }
  const cast = tf.cast(value, variable.dtype);
  variable.assign(cast);
  cast.dispose();
}
