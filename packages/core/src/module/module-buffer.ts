import * as tf from '@tensorflow/tfjs-core';
import { assignVariable } from './assign-variable';

/**
 * A tensor of a module's state that is not learned: PyTorch's persistent buffer (BatchNorm's
 * `running_mean`, `running_var`, `num_batches_tracked`). It is part of the state dict — saved and
 * loaded by name with the parameters — but never trains, is never counted as a parameter and is
 * never seen by an optimiser; the module that owns it updates it (`assign`).
 */
export class ModuleBuffer {
  readonly #variable: tf.Variable;

  /** Takes ownership of `initial`, as `Parameter` does. */
  constructor(initial: tf.Tensor) {
    this.#variable = tf.variable(initial, false);
    initial.dispose();
  }

  get shape(): number[] {
    return this.#variable.shape;
  }

  get dtype(): tf.DataType {
    return this.#variable.dtype;
  }

  /** Number of scalar values. */
  get size(): number {
    return this.#variable.size;
  }

  /** The current value; valid until the next `assign`. */
  get value(): tf.Tensor {
    return this.#variable;
  }

  /** Replace the value; same shape required (copied, and cast to the buffer's dtype). */
  assign(value: tf.Tensor): void {
    assignVariable(this.#variable, value, 'buffer');
  }

  dispose(): void {
    this.#variable.dispose();
  }
}
