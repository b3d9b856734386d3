import * as tf from '@tensorflow/tfjs-core';

export interface ParameterOptions {
  /** Whether optimisers update it and gradients are computed for it. Default: true. */
  trainable?: boolean;
}

/**
 * A named-by-position learnable tensor. Its value lives in a tfjs `Variable`, whose `trainable`
 * flag is kept in step with the parameter's, because `tf.variableGrads` prunes untrainable ones.
 */
export class Parameter {
  readonly variable: tf.Variable;

  constructor(initial: tf.Tensor, options: ParameterOptions = {}) {
    this.variable = tf.variable(initial, options.trainable ?? true);
  }

  get trainable(): boolean {
    return this.variable.trainable;
  }

  set trainable(value: boolean) {
    this.variable.trainable = value;
  }

  get shape(): number[] {
    return this.variable.shape;
  }

  get dtype(): tf.DataType {
    return this.variable.dtype;
  }

  /** Number of scalar values. */
  get size(): number {
    return this.variable.size;
  }

  /** The current value; valid until the next `assign`. */
  get value(): tf.Tensor {
    return this.variable;
  }

  /** Replace the value; the new tensor must have the same shape and dtype (it is copied). */
  assign(value: tf.Tensor): void {
    if (!tf.util.arraysEqual(value.shape, this.shape)) {
      throw new Error(`cannot assign a tensor of shape [${value.shape}] to a parameter of shape [${this.shape}]`);
    }
    this.variable.assign(value.dtype === this.dtype ? value : tf.cast(value, this.dtype));
  }

  dispose(): void {
    this.variable.dispose();
  }
}
