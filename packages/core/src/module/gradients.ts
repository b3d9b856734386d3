import * as tf from '@tensorflow/tfjs-core';
import type { Parameter } from './parameter';
import { tapeGradients } from './tape-backprop';

export interface ValueAndGradients {
  /** The scalar the function returned. */
  value: tf.Scalar;
  /** d value / d parameter by parameter name; a parameter the value does not depend on gets zeros. */
  gradients: Map<string, tf.Tensor>;
}

/**
 * Evaluate `f` and its gradients with respect to the given trainable parameters. Frozen
 * parameters are constants: no gradient is computed through them into their weights. The
 * backward pass frees intermediate gradients and saved tensors as it goes (see `tapeGradients`).
 */
export function valueAndGradients(f: () => tf.Scalar, parameters: ReadonlyArray<readonly [string, Parameter]>): ValueAndGradients {
  const trainable = parameters.filter(([, parameter]) => parameter.trainable);
  if (trainable.length === 0) throw new Error('valueAndGradients: no trainable parameter given');
  const { value, grads } = tapeGradients(f, trainable.map(([, parameter]) => parameter.variable));
  if (value.rank !== 0) {
    tf.dispose([value, ...grads.filter((g): g is tf.Tensor => g !== undefined)]);
    throw new Error(`valueAndGradients: f must return a scalar, got shape [${value.shape}]`);
  }
  const gradients = new Map<string, tf.Tensor>();
  trainable.forEach(([name, parameter], i) => gradients.set(name, grads[i] ?? tf.zerosLike(parameter.value)));
  return { value: value as tf.Scalar, gradients };
}
