import * as tf from '@tensorflow/tfjs-core';
import { assignVariable } from './assign-variable';

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
  /** The value as an [in, out] matrix, kept while the parameter is frozen (see `transposedMatrix`). */
  #transposed: tf.Tensor | undefined;
  #keepTransposed = true;

  /**
   * Takes ownership of `initial`: the variable shares its data and the tensor itself is disposed,
   * so an initial value replaced by a later `assign` (loading weights) does not stay in memory.
   */
  constructor(initial: tf.Tensor, options: ParameterOptions = {}) {
    this.variable = tf.variable(initial, options.trainable ?? true);
    initial.dispose();
  }

  get trainable(): boolean {
    return this.variable.trainable;
  }

  set trainable(value: boolean) {
    if (value !== this.variable.trainable) this.#dropTransposed();
    this.variable.trainable = value;
  }

  /**
   * Whether a frozen parameter keeps its [in, out] copy between calls (see `transposedMatrix`):
   * faster products for one more copy of the weight in memory. Turn it off where memory is scarcer
   * than time (several model copies in one process). Default: true.
   */
  get keepTransposed(): boolean {
    return this.#keepTransposed;
  }

  set keepTransposed(value: boolean) {
    if (!value) this.#dropTransposed();
    this.#keepTransposed = value;
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

  /** Replace the value; the new tensor must have the same shape (it is copied, and cast to the parameter's dtype). */
  assign(value: tf.Tensor): void {
    this.#dropTransposed();
    assignVariable(this.variable, value, 'parameter');
  }

  /**
   * The value read as an [out, in] matrix (every dimension after the first flattened), transposed
   * to [in, out]: the layout the wasm backend multiplies fastest (its transposeB path is ~30×
   * slower). Frozen parameters keep the copy until their value or trainability changes (unless
   * `keepTransposed` is off); otherwise a fresh tensor is returned each call, the caller's to dispose.
   */
  transposedMatrix(): tf.Tensor {
    const compute = (): tf.Tensor => tf.tidy(() => tf.transpose(tf.reshape(this.variable, [this.shape[0] ?? 1, -1])));
    if (this.trainable || !this.#keepTransposed) return compute();
    this.#transposed ??= tf.keep(compute());
    return this.#transposed;
  }

  #dropTransposed(): void {
    this.#transposed?.dispose();
    this.#transposed = undefined;
  }

  dispose(): void {
    this.#dropTransposed();
    this.variable.dispose();
  }
}
