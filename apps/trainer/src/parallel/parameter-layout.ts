import * as tf from '@tensorflow/tfjs-core';
import type { Parameter } from '@harma/core';

/** Where one parameter sits in a flat float32 array. */
export interface ParameterSlot {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

/**
 * The trainable parameters of a model laid end to end in one float32 array, in the model's
 * order: how values and gradients cross threads through shared memory.
 */
export class ParameterLayout {
  readonly slots: readonly ParameterSlot[];
  /** Floats in all slots. */
  readonly size: number;

  constructor(parameters: ReadonlyArray<readonly [string, { readonly shape: number[]; readonly size: number }]>) {
    let offset = 0;
    this.slots = parameters.map(([name, parameter]) => {
      const slot = { name, shape: [...parameter.shape], offset, size: parameter.size };
      offset += parameter.size;
      return slot;
    });
    this.size = offset;
  }

  /** Throws unless `other` names the same parameters with the same shapes in the same order. */
  expectSame(other: ParameterLayout, where: string): void {
    const describe = (layout: ParameterLayout): string[] => layout.slots.map((slot) => `${slot.name} [${slot.shape}]`);
    const mine = describe(this);
    const theirs = describe(other);
    const first = mine.findIndex((entry, i) => entry !== theirs[i]);
    if (first >= 0 || mine.length !== theirs.length) {
      const at = first >= 0 ? first : Math.min(mine.length, theirs.length);
      throw new Error(`${where}: trainable parameters differ from the main thread's at #${at}: ${theirs[at] ?? '(none)'} here, ${mine[at] ?? '(none)'} there`);
    }
  }

  /** Copy the parameters' values into `target`. */
  writeValues(parameters: ReadonlyArray<readonly [string, Parameter]>, target: Float32Array): void {
    parameters.forEach(([, parameter], i) => target.set(parameter.value.dataSync() as Float32Array, (this.slots[i] as ParameterSlot).offset));
  }

  /** Assign the values in `source` to the parameters. */
  readValues(source: Float32Array, parameters: ReadonlyArray<readonly [string, Parameter]>): void {
    parameters.forEach(([, parameter], i) => {
      const slot = this.slots[i] as ParameterSlot;
      tf.tidy(() => parameter.assign(tf.tensor(source.slice(slot.offset, slot.offset + slot.size), slot.shape)));
    });
  }

  /** Copy gradients (by name; a missing one counts as zeros) into `target`. */
  writeTensors(tensors: ReadonlyMap<string, tf.Tensor>, target: Float32Array): void {
    for (const slot of this.slots) {
      const tensor = tensors.get(slot.name);
      if (tensor) target.set(tensor.dataSync() as Float32Array, slot.offset);
      else target.fill(0, slot.offset, slot.offset + slot.size);
    }
  }

  /** The slot's values of `source` as a new tensor. */
  tensorOf(source: Float32Array, slot: ParameterSlot): tf.Tensor {
    return tf.tensor(source.slice(slot.offset, slot.offset + slot.size), slot.shape);
  }
}
