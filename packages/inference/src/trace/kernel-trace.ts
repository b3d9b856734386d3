import * as tf from '@tensorflow/tfjs-core';

/** Host copy of a tensor's values. */
export type TraceValues = Float32Array | Int32Array | Uint8Array;

/** Where a kernel input comes from in a trace. */
export type TraceRef =
  | { kind: 'input'; index: number }
  | { kind: 'node'; node: number; output: number }
  /** A tfjs variable: a registered parameter (its state-dict name) or another variable (`tf.Variable.name`). */
  | { kind: 'parameter'; name: string; tensor: tf.Tensor }
  /** Any other tensor created outside the traced kernels (scalars of `tf.mul(0.5, x)`, cached masks, values built on the host). */
  | { kind: 'constant'; shape: number[]; dtype: tf.DataType; values: TraceValues };

export interface TracedKernel {
  /** tfjs kernel name (`BatchMatMul`, `Reshape`, ...). */
  kernel: string;
  /** Inputs in the kernel's own order, by the kernel's input names (`a`, `b`, `x`, `0`, ...). */
  inputs: Array<{ key: string; ref: TraceRef }>;
  attrs: Record<string, unknown>;
  outputs: Array<{ shape: number[]; dtype: tf.DataType }>;
  /** Output values, recorded when every input is a constant (the kernel may be folded). */
  constantOutputs?: TraceValues[];
}

export interface TracedInput {
  shape: number[];
  dtype: tf.DataType;
  values: TraceValues;
}

/** Every kernel one call of a function ran, in order, with where each input came from. */
export interface KernelTrace {
  inputs: TracedInput[];
  kernels: TracedKernel[];
  output: TraceRef;
  outputShape: number[];
  outputDtype: tf.DataType;
}

interface KernelInvocation {
  kernelName: string;
  inputs: Record<string, tf.Tensor | null | undefined> | Array<tf.Tensor | null | undefined>;
  attrs?: Record<string, unknown>;
}

interface PatchableEngine {
  runKernelFunc(params: KernelInvocation | { forwardFunc: unknown }): tf.Tensor | tf.Tensor[];
}

let tracing = false;

function hostValues(tensor: tf.Tensor): TraceValues {
  if (tensor.dtype === 'string' || tensor.dtype === 'complex64') {
    throw new Error(`trace: a ${tensor.dtype} tensor [${tensor.shape}] is used by the computation; only float32, int32 and bool tensors can be exported`);
  }
  const values = tensor.dataSync() as TraceValues;
  return values.slice() as TraceValues;
}

function copyAttribute(value: unknown): unknown {
  if (value === null || value === undefined || typeof value !== 'object') return value;
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  if (Array.isArray(value)) return value.map(copyAttribute);
  if (value instanceof tf.Tensor) throw new Error('trace: a kernel attribute holds a tensor, which the exporter cannot follow');
  return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, copyAttribute(entry)]));
}

/**
 * Run `fn(inputs)` once and record every tfjs kernel it runs (kernels a kernel runs internally are
 * part of it and not recorded), by intercepting the engine's kernel dispatch. Kernel inputs are
 * resolved to the function's inputs, earlier kernels' outputs, the variables in `parameters`
 * (tensor id → state-dict name) or constants copied to the host. Returns the trace and the
 * function's output (the caller disposes it).
 */
export function traceKernels(
  fn: (inputs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
  parameters: ReadonlyMap<number, string>,
): { trace: KernelTrace; output: tf.Tensor } {
  if (tracing) throw new Error('trace: traceKernels cannot run inside another trace');
  const engine = tf.engine() as unknown as PatchableEngine;
  const original = engine.runKernelFunc;
  const producedBy = new Map<number, { node: number; output: number }>();
  const inputIndex = new Map(inputs.map((tensor, index) => [tensor.id, index]));
  const kernels: TracedKernel[] = [];
  let depth = 0;

  const resolve = (tensor: tf.Tensor): TraceRef => {
    const produced = producedBy.get(tensor.id);
    if (produced) return { kind: 'node', ...produced };
    const index = inputIndex.get(tensor.id);
    if (index !== undefined) return { kind: 'input', index };
    const parameter = parameters.get(tensor.id);
    if (parameter !== undefined) return { kind: 'parameter', name: parameter, tensor };
    if (tensor instanceof tf.Variable) return { kind: 'parameter', name: tensor.name, tensor };
    return { kind: 'constant', shape: [...tensor.shape], dtype: tensor.dtype, values: hostValues(tensor) };
  };

  const patched: PatchableEngine['runKernelFunc'] = function (this: PatchableEngine, params) {
    if (!('kernelName' in params) || depth > 0) {
      // Custom-gradient scopes run their own kernels, which are recorded; kernels inside kernels are not.
      if ('kernelName' in params) {
        depth += 1;
        try {
          return original.call(this, params);
        } finally {
          depth -= 1;
        }
      }
      return original.call(this, params);
    }
    // Depth is raised before resolving too: reading a constant's values may run kernels on some backends.
    depth += 1;
    let resolved: TracedKernel['inputs'];
    let attrs: Record<string, unknown>;
    let result: tf.Tensor | tf.Tensor[];
    try {
      const entries = Object.entries(params.inputs).filter((entry): entry is [string, tf.Tensor] => entry[1] != null);
      resolved = entries.map(([key, tensor]) => ({ key, ref: resolve(tensor) }));
      attrs = copyAttribute(params.attrs ?? {}) as Record<string, unknown>;
      result = original.call(this, params);
    } finally {
      depth -= 1;
    }
    const outputs = Array.isArray(result) ? result : [result];
    const node = kernels.length;
    outputs.forEach((tensor, output) => producedBy.set(tensor.id, { node, output }));
    const traced: TracedKernel = {
      kernel: params.kernelName,
      inputs: resolved,
      attrs,
      outputs: outputs.map((tensor) => ({ shape: [...tensor.shape], dtype: tensor.dtype })),
    };
    // A kernel of constants alone (Range, a reshaped mask) keeps its results: it is folded into a
    // constant when both traces agree on them.
    if (resolved.every(({ ref }) => ref.kind === 'constant' || (ref.kind === 'node' && kernels[ref.node]?.constantOutputs !== undefined))) {
      depth += 1;
      try {
        traced.constantOutputs = outputs.map(hostValues);
      } finally {
        depth -= 1;
      }
    }
    kernels.push(traced);
    return result;
  };

  tracing = true;
  const hadOwn = Object.prototype.hasOwnProperty.call(engine, 'runKernelFunc');
  engine.runKernelFunc = patched;
  let output: tf.Tensor;
  try {
    output = fn(inputs);
  } finally {
    if (hadOwn) engine.runKernelFunc = original;
    else delete (engine as Partial<PatchableEngine>).runKernelFunc;
    tracing = false;
  }
  const trace: KernelTrace = {
    inputs: inputs.map((tensor) => ({ shape: [...tensor.shape], dtype: tensor.dtype, values: hostValues(tensor) })),
    kernels,
    output: resolve(output),
    outputShape: [...output.shape],
    outputDtype: output.dtype,
  };
  return { trace, output };
}
