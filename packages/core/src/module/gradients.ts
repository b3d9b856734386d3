import * as tf from '@tensorflow/tfjs-core';
import type { Parameter } from './parameter';

export interface ValueAndGradients {
  /** The scalar the function returned. */
  value: tf.Scalar;
  /** d value / d parameter by parameter name; a parameter the value does not depend on gets zeros. */
  gradients: Map<string, tf.Tensor>;
}

/**
 * Evaluate `f` and its gradients with respect to the given trainable parameters. Frozen
 * parameters are constants: no gradient is computed through them into their weights.
 */
export function valueAndGradients(f: () => tf.Scalar, parameters: ReadonlyArray<readonly [string, Parameter]>): ValueAndGradients {
  const trainable = parameters.filter(([, parameter]) => parameter.trainable);
  if (trainable.length === 0) throw new Error('valueAndGradients: no trainable parameter given');
  const { value, grads } = tf.variableGrads(f, trainable.map(([, parameter]) => parameter.variable));
  const gradients = new Map<string, tf.Tensor>();
  for (const [name, parameter] of trainable) {
    gradients.set(name, grads[parameter.variable.name] ?? tf.zerosLike(parameter.value));
  }
  return { value, gradients };
}
