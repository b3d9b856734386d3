import type * as tf from '@tensorflow/tfjs-core';
import { ONNX_DATA_TYPES, type OnnxDataType, type OnnxDimension, type OnnxGraph, type OnnxValueInfo } from '@harma/core';
import { isBatchDim, type Dim, type SymbolicRef, type SymbolicTrace } from '../trace/symbolic-trace';
import { DEFAULT_RECIPES, type DynamicConstantRecipe } from './dynamic-constants';
import { OnnxGraphBuilder, type HostArray } from './graph-builder';
import { pruneUnused } from './graph-prune';
import type { KernelContext } from './kernel-context';
import { onnxDtype } from './kernel-context';
import { KERNEL_CONVERTERS } from './kernels/index';

/** Symbolic name of the batch dimension in graph inputs and outputs. */
export const BATCH_DIM_NAME = 'batch_size';

export interface GraphInputSpec {
  name: string;
  /** Element type the graph takes (int64 for token ids); cast to the traced dtype inside. Default: the traced dtype. */
  dtype?: OnnxDataType;
}

export interface TraceToGraphOptions {
  name: string;
  inputs: GraphInputSpec[];
  output: string;
  /** How to recompute host-built, input-dependent tensors. Default: `DEFAULT_RECIPES`. */
  recipes?: readonly DynamicConstantRecipe[];
  /** Graph rewrites applied before pruning (fusions). Default: none. */
  rewrites?: ReadonlyArray<(builder: OnnxGraphBuilder) => void>;
  docString?: string;
}

export function valueInfo(name: string, dtype: OnnxDataType, shape: readonly Dim[]): OnnxValueInfo {
  const dim: OnnxDimension[] = shape.map((d) =>
    isBatchDim(d) ? { dimParam: d.batch === 1 ? BATCH_DIM_NAME : `${BATCH_DIM_NAME}*${d.batch}` } : { dimValue: d },
  );
  return { name, type: { tensorType: { elemType: ONNX_DATA_TYPES[dtype], shape: { dim } } } };
}

function parameterValues(tensor: tf.Tensor): HostArray {
  const values = tensor.dataSync();
  if (values instanceof Float32Array || values instanceof Int32Array || values instanceof Uint8Array) return values.slice();
  throw new Error(`parameter of dtype ${tensor.dtype} cannot be exported`);
}

/**
 * Express a symbolic trace as an ONNX graph: every kernel through its converter, parameters as
 * initializers under their names, host-built input-dependent tensors through recipes, the batch
 * dimension symbolic; then the rewrites, then unused nodes and initializers are dropped.
 */
export function traceToGraph(trace: SymbolicTrace, options: TraceToGraphOptions): OnnxGraph {
  if (options.inputs.length !== trace.inputs.length) {
    throw new Error(`export: the traced function takes ${trace.inputs.length} inputs, ${options.inputs.length} names given`);
  }
  const builder = new OnnxGraphBuilder(options.inputs[0]?.name);
  const recipes = options.recipes ?? DEFAULT_RECIPES;
  const graphInputs: OnnxValueInfo[] = [];
  const inputValues = trace.inputs.map((input, index) => {
    const spec = options.inputs[index] as GraphInputSpec;
    const traced = onnxDtype(input.dtype);
    const graphDtype = spec.dtype ?? traced;
    builder.reserve(spec.name);
    builder.values.set(spec.name, { dtype: graphDtype, shape: input.shape });
    graphInputs.push(valueInfo(spec.name, graphDtype, input.shape));
    if (graphDtype === traced) return spec.name;
    const [cast] = builder.node('Cast', [spec.name], { attributes: { to: { int: ONNX_DATA_TYPES[traced] } }, meta: [{ dtype: traced, shape: input.shape }] });
    return cast as string;
  });

  const nodeOutputs: string[][] = [];
  const parameters = new Map<string, string>();
  const value = (ref: SymbolicRef, where: () => string): string => {
    switch (ref.kind) {
      case 'input':
        return inputValues[ref.index] as string;
      case 'node':
        return (nodeOutputs[ref.node] as string[])[ref.output] as string;
      case 'parameter': {
        const existing = parameters.get(ref.name);
        if (existing) return existing;
        const name = builder.initializer(ref.name, onnxDtype(ref.tensor.dtype), ref.tensor.shape, parameterValues(ref.tensor));
        parameters.set(ref.name, name);
        return name;
      }
      case 'constant':
        return builder.constant(onnxDtype(ref.dtype), ref.shape, ref.values);
      case 'dynamic': {
        const recipe = recipes.find((candidate) => candidate.matches(ref, trace.traces));
        if (!recipe) {
          throw new Error(
            `${where()}: a ${ref.dtype} tensor [${ref.samples[0].shape}] built outside tfjs kernels changes with the input values, ` +
              `and no recipe (${recipes.map((r) => r.name).join(', ')}) reproduces it; compute it with tfjs ops, or pass a recipe`,
          );
        }
        return recipe.emit(ref, { builder, input: (index) => inputValues[index] as string });
      }
    }
  };
  const shapeOf = (ref: SymbolicRef): Dim[] => {
    switch (ref.kind) {
      case 'input': return (trace.inputs[ref.index] as SymbolicTrace['inputs'][number]).shape;
      case 'node': return (trace.kernels[ref.node] as SymbolicTrace['kernels'][number]).outputs[ref.output]?.shape as Dim[];
      case 'parameter': return [...ref.tensor.shape];
      case 'constant':
      case 'dynamic': return [...ref.shape];
    }
  };
  const dtypeOf = (ref: SymbolicRef): tf.DataType => {
    switch (ref.kind) {
      case 'input': return (trace.inputs[ref.index] as SymbolicTrace['inputs'][number]).dtype;
      case 'node': return (trace.kernels[ref.node] as SymbolicTrace['kernels'][number]).outputs[ref.output]?.dtype as tf.DataType;
      case 'parameter': return ref.tensor.dtype;
      case 'constant':
      case 'dynamic': return ref.dtype;
    }
  };

  for (const kernel of trace.kernels) {
    if (kernel.folded) {
      nodeOutputs.push([]);
      continue;
    }
    const describe = (): string => `export: kernel #${kernel.index} (${kernel.kernel})`;
    const converter = KERNEL_CONVERTERS[kernel.kernel];
    if (!converter) throw new Error(`${describe()} has no ONNX conversion`);
    const find = (key: string): SymbolicRef => {
      const entry = kernel.inputs.find((input) => input.key === key);
      if (!entry) throw new Error(`${describe()}: no input '${key}'`);
      return entry.ref;
    };
    const outputMeta = (index = 0) => {
      const output = kernel.outputs[index];
      if (!output) throw new Error(`${describe()}: no output ${index}`);
      return { dtype: onnxDtype(output.dtype), shape: output.shape };
    };
    const context: KernelContext = {
      builder,
      kernel,
      input: (key) => value(find(key), () => `${describe()} input '${key}'`),
      inputList: () => kernel.inputs.map((input) => value(input.ref, () => `${describe()} input '${input.key}'`)),
      inputShape: (key) => shapeOf(find(key)),
      inputDtype: (key) => dtypeOf(find(key)),
      outputMeta,
      emit: (opType, inputs, attributes, domain) =>
        builder.node(opType, inputs, {
          attributes,
          domain,
          outputs: kernel.outputs.length,
          meta: kernel.outputs.map((_, i) => outputMeta(i)),
        }),
      fail: (message) => new Error(`${describe()}: ${message}`),
    };
    const outputs = converter(context);
    if (outputs.length !== kernel.outputs.length) throw new Error(`${describe()}: converter returned ${outputs.length} outputs, expected ${kernel.outputs.length}`);
    nodeOutputs.push(outputs);
  }

  const outputDtype = onnxDtype(trace.outputDtype);
  builder.reserve(options.output);
  builder.node('Identity', [value(trace.output, () => 'export: the output')], { names: [options.output], meta: [{ dtype: outputDtype, shape: trace.outputShape }] });
  for (const rewrite of options.rewrites ?? []) rewrite(builder);
  pruneUnused(builder, [options.output]);
  const graph: OnnxGraph = {
    name: options.name,
    node: builder.nodes,
    initializer: [...builder.initializers.values()],
    input: graphInputs,
    output: [valueInfo(options.output, outputDtype, trace.outputShape)],
  };
  if (options.docString) graph.docString = options.docString;
  return graph;
}
