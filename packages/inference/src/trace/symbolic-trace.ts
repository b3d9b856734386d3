import type * as tf from '@tensorflow/tfjs-core';
import type { KernelTrace, TraceRef, TraceValues, TracedInput } from './kernel-trace';

/** A dimension that grows with the batch: `factor × batch`. */
export interface BatchDim {
  readonly batch: number;
}

/** A dimension or a shape-like attribute entry: fixed, or a multiple of the batch size. */
export type Dim = number | BatchDim;

export function isBatchDim(value: unknown): value is BatchDim {
  return typeof value === 'object' && value !== null && 'batch' in value && typeof (value as BatchDim).batch === 'number';
}

/** A constant that differs between the two traces: it depends on the input and must be recomputed in the graph. */
export interface DynamicConstant {
  kind: 'dynamic';
  dtype: tf.DataType;
  shape: Dim[];
  /** Its values in each trace, beside that trace's inputs. */
  samples: [{ shape: number[]; values: TraceValues }, { shape: number[]; values: TraceValues }];
}

export type SymbolicRef = Exclude<TraceRef, { kind: 'constant' }> | Extract<TraceRef, { kind: 'constant' }> | DynamicConstant;

export interface SymbolicKernel {
  index: number;
  /** Computes the same constants at both batch sizes: replaced by them, nothing refers to it. */
  folded: boolean;
  kernel: string;
  inputs: Array<{ key: string; ref: SymbolicRef }>;
  /** Attributes with every batch-dependent number replaced by a `BatchDim`. */
  attrs: Record<string, unknown>;
  outputs: Array<{ shape: Dim[]; dtype: tf.DataType }>;
}

/** One computation traced at two batch sizes and merged: shapes and attributes in terms of the batch. */
export interface SymbolicTrace {
  batchSizes: [number, number];
  inputs: Array<{ shape: Dim[]; dtype: tf.DataType }>;
  kernels: SymbolicKernel[];
  output: SymbolicRef;
  outputShape: Dim[];
  outputDtype: tf.DataType;
  /** The raw traces, for recognising input-dependent constants. */
  traces: [KernelTrace, KernelTrace];
}

/** Thrown when the two traces do not describe one computation parameterised by the batch size. */
export class TraceMismatchError extends Error {}

function unifyNumber(a: number, b: number, [b1, b2]: [number, number], where: () => string): Dim {
  if (a === b || (Number.isNaN(a) && Number.isNaN(b))) return a;
  const factor = a / b1;
  if (Number.isInteger(factor) && factor > 0 && factor * b2 === b) return { batch: factor };
  throw new TraceMismatchError(`${where()}: ${a} at batch ${b1} but ${b} at batch ${b2}, not a fixed multiple of the batch size`);
}

function unifyValue(a: unknown, b: unknown, batches: [number, number], where: () => string): unknown {
  if (typeof a === 'number' && typeof b === 'number') return unifyNumber(a, b, batches, where);
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) throw new TraceMismatchError(`${where()}: ${a.length} entries at batch ${batches[0]} but ${b.length} at batch ${batches[1]}`);
    return a.map((entry, i) => unifyValue(entry, b[i], batches, () => `${where()}[${i}]`));
  }
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return Object.fromEntries(
      [...keys].map((key) => [key, unifyValue((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], batches, () => `${where()}.${key}`)]),
    );
  }
  if (a !== b) throw new TraceMismatchError(`${where()}: ${JSON.stringify(a)} at batch ${batches[0]} but ${JSON.stringify(b)} at batch ${batches[1]}`);
  return a;
}

/** Unify two shapes dimension by dimension. */
export function unifyShape(a: readonly number[], b: readonly number[], batches: [number, number], where: () => string): Dim[] {
  if (a.length !== b.length) throw new TraceMismatchError(`${where()}: rank ${a.length} at batch ${batches[0]} but ${b.length} at batch ${batches[1]}`);
  return a.map((dim, i) => unifyNumber(dim, b[i] as number, batches, () => `${where()} dimension ${i}`));
}

function tfShapeEqual(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((dim, i) => dim === b[i]);
}

function sameValues(a: TraceValues, b: TraceValues): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (x !== y && !(Number.isNaN(x) && Number.isNaN(y))) return false;
  }
  return true;
}

function unifyRef(a: TraceRef, b: TraceRef, batches: [number, number], where: () => string): SymbolicRef {
  if (a.kind !== b.kind) throw new TraceMismatchError(`${where()}: a ${a.kind} at batch ${batches[0]} but a ${b.kind} at batch ${batches[1]}`);
  switch (a.kind) {
    case 'input':
      if (b.kind === 'input' && a.index === b.index) return a;
      break;
    case 'node':
      if (b.kind === 'node' && a.node === b.node && a.output === b.output) return a;
      break;
    case 'parameter':
      if (b.kind === 'parameter' && a.name === b.name) return a;
      break;
    case 'constant': {
      if (b.kind !== 'constant' || a.dtype !== b.dtype) break;
      const sameShape = a.shape.length === b.shape.length && a.shape.every((dim, i) => dim === b.shape[i]);
      if (sameShape && sameValues(a.values, b.values)) return a;
      return {
        kind: 'dynamic',
        dtype: a.dtype,
        shape: unifyShape(a.shape, b.shape, batches, where),
        samples: [
          { shape: a.shape, values: a.values },
          { shape: b.shape, values: b.values },
        ],
      };
    }
  }
  throw new TraceMismatchError(`${where()}: comes from different places at batch sizes ${batches[0]} and ${batches[1]}`);
}

function unifyInputs(a: TracedInput[], b: TracedInput[], batches: [number, number]): Array<{ shape: Dim[]; dtype: tf.DataType }> {
  return a.map((input, i) => ({ shape: unifyShape(input.shape, (b[i] as TracedInput).shape, batches, () => `input ${i}`), dtype: input.dtype }));
}

/**
 * Merge traces of one function at two batch sizes into one computation whose shapes and
 * attributes are expressed in the batch size. Kernels must match one for one; a number that
 * differs must be the same multiple of the batch size in both; a constant that differs is kept
 * as a `DynamicConstant` (it depends on the input values).
 */
export function unifyTraces(a: KernelTrace, b: KernelTrace, batches: [number, number]): SymbolicTrace {
  if (a.kernels.length !== b.kernels.length) {
    throw new TraceMismatchError(`the computation ran ${a.kernels.length} kernels at batch ${batches[0]} but ${b.kernels.length} at batch ${batches[1]}`);
  }
  // Outputs of folded kernels, per trace: later references to them read as constants.
  const foldedOutputs: [Map<number, TraceRef[]>, Map<number, TraceRef[]>] = [new Map(), new Map()];
  const substitute = (ref: TraceRef, trace: 0 | 1): TraceRef =>
    ref.kind === 'node' ? ((foldedOutputs[trace].get(ref.node)?.[ref.output] as TraceRef | undefined) ?? ref) : ref;
  const kernels = a.kernels.map((first, index): SymbolicKernel => {
    const second = b.kernels[index] as (typeof b.kernels)[number];
    const where = (): string => `kernel #${index} (${first.kernel})`;
    if (first.kernel !== second.kernel) throw new TraceMismatchError(`${where()}: ran ${second.kernel} at batch ${batches[1]} instead`);
    if (first.inputs.length !== second.inputs.length) throw new TraceMismatchError(`${where()}: different inputs at the two batch sizes`);
    const inputs = first.inputs.map((input, i) => {
      const other = second.inputs[i] as (typeof second.inputs)[number];
      if (input.key !== other.key) throw new TraceMismatchError(`${where()}: input '${input.key}' became '${other.key}'`);
      return { key: input.key, ref: unifyRef(substitute(input.ref, 0), substitute(other.ref, 1), batches, () => `${where()} input '${input.key}'`) };
    });
    const kernel: SymbolicKernel = {
      index,
      folded: false,
      kernel: first.kernel,
      inputs,
      attrs: unifyValue(first.attrs, second.attrs, batches, () => `${where()} attributes`) as Record<string, unknown>,
      outputs: first.outputs.map((output, i) => ({
        shape: unifyShape(output.shape, (second.outputs[i] as (typeof second.outputs)[number]).shape, batches, () => `${where()} output ${i}`),
        dtype: output.dtype,
      })),
    };
    const values = [first.constantOutputs, second.constantOutputs];
    const foldable =
      values[0] !== undefined &&
      values[1] !== undefined &&
      inputs.every(({ ref }) => ref.kind === 'constant') &&
      first.outputs.every((output, i) => {
        const other = second.outputs[i] as (typeof second.outputs)[number];
        return tfShapeEqual(output.shape, other.shape) && sameValues(values[0]?.[i] as TraceValues, values[1]?.[i] as TraceValues);
      });
    if (foldable) {
      kernel.folded = true;
      [first, second].forEach((traced, t) => {
        const refs = traced.outputs.map((output, i): TraceRef => ({ kind: 'constant', shape: output.shape, dtype: output.dtype, values: values[t]?.[i] as TraceValues }));
        foldedOutputs[t as 0 | 1].set(index, refs);
      });
    }
    return kernel;
  });
  return {
    batchSizes: batches,
    inputs: unifyInputs(a.inputs, b.inputs, batches),
    kernels,
    output: unifyRef(substitute(a.output, 0), substitute(b.output, 1), batches, () => 'the output'),
    outputShape: unifyShape(a.outputShape, b.outputShape, batches, () => 'the output'),
    outputDtype: a.outputDtype,
    traces: [a, b],
  };
}
