import type { KernelTrace, TraceValues } from '../trace/kernel-trace';
import { isBatchDim, type DynamicConstant } from '../trace/symbolic-trace';
import { hostArray, tensorProto, type OnnxGraphBuilder } from './graph-builder';
import { onnxDtype } from './kernel-context';

/** Where a recipe finds the graph's inputs. */
export interface RecipeContext {
  readonly builder: OnnxGraphBuilder;
  /** The value holding traced input `index`, in the traced dtype. */
  input(index: number): string;
}

/**
 * A way to recompute, inside the graph, a tensor the traced code built on the host from the input
 * values (so the trace only saw its values). A recipe is used only when it reproduces the tensor of
 * both traces exactly.
 */
export interface DynamicConstantRecipe {
  readonly name: string;
  matches(constant: DynamicConstant, traces: readonly [KernelTrace, KernelTrace]): boolean;
  emit(constant: DynamicConstant, context: RecipeContext): string;
}

function firstArgMaxOneHot(ids: TraceValues, rows: number, columns: number): Float32Array {
  const out = new Float32Array(rows * columns);
  for (let row = 0; row < rows; row++) {
    let best = 0;
    for (let column = 1; column < columns; column++) {
      if ((ids[row * columns + column] as number) > (ids[row * columns + best] as number)) best = column;
    }
    out[row * columns + best] = 1;
  }
  return out;
}

/**
 * CLIP's end-of-text selector: a float one-hot [batch, context] at the first position of each
 * row's largest token id (computed on the host by the text tower), as ArgMax + Equal + Cast.
 */
export const endOfTextSelectorRecipe: DynamicConstantRecipe = {
  name: 'end-of-text one-hot',
  matches(constant, traces) {
    if (constant.dtype !== 'float32' || constant.shape.length !== 2) return false;
    return traces.every((trace, t) => {
      const ids = trace.inputs[0];
      const sample = constant.samples[t];
      if (!ids || !sample || ids.dtype !== 'int32' || ids.shape.length !== 2) return false;
      const [rows, columns] = ids.shape as [number, number];
      if (sample.shape[0] !== rows || sample.shape[1] !== columns) return false;
      const expected = firstArgMaxOneHot(ids.values, rows, columns);
      return expected.every((value, i) => value === sample.values[i]);
    });
  },
  emit(constant, { builder, input }) {
    const ids = input(0);
    const columns = constant.samples[0].shape[1] as number;
    const [position] = builder.node('ArgMax', [ids], {
      attributes: { axis: { int: 1 }, keepdims: { int: 1 }, select_last_index: { int: 0 } },
      meta: [{ dtype: 'int64', shape: [{ batch: 1 }, 1] }],
    });
    const positions = builder.constant('int64', [1, columns], Array.from({ length: columns }, (_, i) => i), 'positions');
    const [hit] = builder.node('Equal', [position as string, positions], { meta: [{ dtype: 'bool', shape: constant.shape }] });
    const [selector] = builder.node('Cast', [hit as string], { attributes: { to: { int: 1 } }, meta: [{ dtype: 'float32', shape: constant.shape }] });
    return selector as string;
  },
};

/** A tensor filled with one value whose shape follows the batch size (`tf.zeros([batch, ...])`). */
export const uniformFillRecipe: DynamicConstantRecipe = {
  name: 'uniform fill',
  matches(constant) {
    const first = constant.samples[0].values[0];
    if (first === undefined) return false;
    return constant.samples.every((sample) => sample.values.every((value) => value === first));
  },
  emit(constant, { builder }) {
    const dtype = onnxDtype(constant.dtype);
    const value = tensorProto('value', dtype, [1], hostArray(dtype, [constant.samples[0].values[0] as number]));
    const [out] = builder.node('ConstantOfShape', [builder.shape(constant.shape)], {
      attributes: { value: { tensor: value } },
      meta: [{ dtype, shape: constant.shape }],
    });
    return out as string;
  },
};

/** One row repeated along a batch-sized first axis (a constant broadcast or tiled to the batch). */
export const batchBroadcastRecipe: DynamicConstantRecipe = {
  name: 'batch broadcast',
  matches(constant) {
    const first = constant.shape[0];
    if (!isBatchDim(first) || first.batch !== 1 || constant.shape.slice(1).some(isBatchDim)) return false;
    const rowSize = constant.samples[0].values.length / (constant.samples[0].shape[0] as number);
    const row = constant.samples[0].values.subarray(0, rowSize);
    return constant.samples.every((sample) => sample.values.every((value, i) => value === row[i % rowSize]));
  },
  emit(constant, { builder }) {
    const dtype = onnxDtype(constant.dtype);
    const rowShape = [1, ...(constant.shape.slice(1) as number[])];
    const row = constant.samples[0].values.subarray(0, rowShape.reduce((a, b) => a * b, 1));
    const [out] = builder.node('Expand', [builder.constant(dtype, rowShape, row, 'row'), builder.shape(constant.shape)], {
      meta: [{ dtype, shape: constant.shape }],
    });
    return out as string;
  },
};

/** The recipes tried, in order, when the caller gives none. */
export const DEFAULT_RECIPES: readonly DynamicConstantRecipe[] = [endOfTextSelectorRecipe, uniformFillRecipe, batchBroadcastRecipe];
