import * as tf from '@tensorflow/tfjs-core';
import { geluGradModel, geluModel, quickGeluGradModel, quickGeluModel } from '../onnxruntime-products/activation-models';
import { layerNormGradModel, layerNormModel } from '../onnxruntime-products/layer-norm-models';
import type { OnnxRuntimeProducts } from '../onnxruntime-products/onnxruntime-products';
import { heapView, wasmInternals } from './wasm-internals';

/**
 * Kernels of our own that a layer runs when the active backend has them (`hasFusedKernel`):
 * an activation or a layer norm, and its derivative, each as one call instead of three to eleven
 * elementwise kernels. The wasm backend has them when its products run on ONNX Runtime.
 */
export const FUSED_KERNELS = {
  /** {x} → x·sigmoid(1.702·x). */
  quickGelu: 'HarmaQuickGelu',
  /** {x, dy} → dy·d/dx QuickGELU(x). */
  quickGeluGrad: 'HarmaQuickGeluGrad',
  /** {x} → x·Φ(x). */
  gelu: 'HarmaGelu',
  /** {x, dy} → dy·(Φ(x) + x·φ(x)). */
  geluGrad: 'HarmaGeluGrad',
  /** {x, weight, bias}, attribute `eps` → [y, x̂, 1/σ] (layer normalisation over the last axis). */
  layerNorm: 'HarmaLayerNorm',
  /** {normalized, inverseStd, dy, weight} → dx. */
  layerNormGrad: 'HarmaLayerNormGrad',
} as const;

export type FusedKernelName = (typeof FUSED_KERNELS)[keyof typeof FUSED_KERNELS];

/** Calls of `withoutFusedKernels` in progress: while any runs, layers compose tfjs ops. */
let suspended = 0;

/** Whether layers should run the fused kernel `name`: the active backend has it and no `withoutFusedKernels` is in progress. */
export function hasFusedKernel(name: FusedKernelName): boolean {
  return suspended === 0 && tf.getKernel(name, tf.getBackend()) !== undefined;
}

/** Run a registered fused kernel of one output on float32 `inputs` (by the names its graph takes). */
export function runFusedKernel(name: FusedKernelName, inputs: Record<string, tf.Tensor>, attrs: Record<string, number> = {}): tf.Tensor {
  return tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, attrs) as tf.Tensor;
}

/** Run a registered fused kernel of several outputs (in the order its description lists them). */
export function runFusedKernelOutputs(name: FusedKernelName, inputs: Record<string, tf.Tensor>, attrs: Record<string, number> = {}): tf.Tensor[] {
  return tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, attrs) as unknown as tf.Tensor[];
}

/** Ones [width], made once per width: the unit scale `LayerNormalization` takes to give x̂. */
const unitScales = new Map<number, Float32Array>();

function layerNormKernel(products: OnnxRuntimeProducts): tf.KernelFunc {
  return (args) => {
    const { x, weight, bias } = args.inputs as Record<'x' | 'weight' | 'bias', tf.TensorInfo>;
    const { eps } = args.attrs as { eps: number };
    const width = x.shape[x.shape.length - 1] as number;
    const backend = wasmInternals(args.backend);
    const y = backend.makeOutput(x.shape, 'float32');
    const normalized = backend.makeOutput(x.shape, 'float32');
    const inverseStd = backend.makeOutput([...x.shape.slice(0, -1), 1], 'float32');
    if (tf.util.sizeFromShape(x.shape) === 0) return [y, normalized, inverseStd];
    let unit = unitScales.get(width);
    if (!unit) unitScales.set(width, (unit = new Float32Array(width).fill(1)));
    // Views are taken after the outputs exist: allocating them may grow the heap and detach older views.
    const view = (tensor: tf.TensorInfo) => heapView(backend, tensor);
    products.runFused(`${FUSED_KERNELS.layerNorm} eps ${eps}`, () => layerNormModel(eps), { x: view(x), unit: { data: unit, dims: [width] }, weight: view(weight), bias: view(bias) }, {
      y: view(y),
      normalized: view(normalized),
      inverseStd: view(inverseStd),
    });
    return [y, normalized, inverseStd];
  };
}

function layerNormGradKernel(products: OnnxRuntimeProducts): tf.KernelFunc {
  return (args) => {
    const { normalized, inverseStd, dy, weight } = args.inputs as Record<'normalized' | 'inverseStd' | 'dy' | 'weight', tf.TensorInfo>;
    const backend = wasmInternals(args.backend);
    const dx = backend.makeOutput(normalized.shape, 'float32');
    if (tf.util.sizeFromShape(normalized.shape) === 0) return dx;
    const view = (tensor: tf.TensorInfo) => heapView(backend, tensor);
    products.runFused(FUSED_KERNELS.layerNormGrad, layerNormGradModel, { normalized: view(normalized), inverseStd: view(inverseStd), dy: view(dy), weight: view(weight) }, { dx: view(dx) });
    return dx;
  };
}

/** An elementwise graph as a wasm kernel: inputs of one shape in, one output of that shape, read and written in place on the wasm heap. */
function elementwiseKernel(products: OnnxRuntimeProducts, key: string, makeModel: () => Uint8Array, output: string): tf.KernelFunc {
  return (args) => {
    const inputs = Object.entries(args.inputs as Record<string, tf.TensorInfo>);
    const [, first] = inputs[0] as [string, tf.TensorInfo];
    for (const [name, input] of inputs) {
      if (input.dtype !== 'float32' || !tf.util.arraysEqual(input.shape, first.shape)) {
        throw new Error(`${key}: input ${name} is ${input.dtype} [${input.shape}], expected float32 [${first.shape}]`);
      }
    }
    const backend = wasmInternals(args.backend);
    const out = backend.makeOutput(first.shape, 'float32');
    if (tf.util.sizeFromShape(first.shape) === 0) return out;
    // Views are taken after the output exists: allocating it may grow the heap and detach older views.
    const view = (tensor: tf.TensorInfo) => heapView(backend, tensor);
    products.runFused(key, makeModel, Object.fromEntries(inputs.map(([name, input]) => [name, view(input)])), { [output]: view(out) });
    return out;
  };
}

/**
 * Register the fused kernels for the wasm backend on ONNX Runtime (`products`), or unregister
 * them (none given): then the layers compose tfjs ops again.
 */
export function registerFusedKernels(products: OnnxRuntimeProducts | undefined): void {
  type MakeKernel = (products: OnnxRuntimeProducts, name: FusedKernelName) => tf.KernelFunc;
  const elementwise =
    (makeModel: () => Uint8Array, output: string): MakeKernel =>
    (p, name) =>
      elementwiseKernel(p, name, makeModel, output);
  const kernels: Array<[FusedKernelName, MakeKernel]> = [
    [FUSED_KERNELS.quickGelu, elementwise(quickGeluModel, 'y')],
    [FUSED_KERNELS.quickGeluGrad, elementwise(quickGeluGradModel, 'dx')],
    [FUSED_KERNELS.gelu, elementwise(geluModel, 'y')],
    [FUSED_KERNELS.geluGrad, elementwise(geluGradModel, 'dx')],
    [FUSED_KERNELS.layerNorm, layerNormKernel],
    [FUSED_KERNELS.layerNormGrad, layerNormGradKernel],
  ];
  for (const [name, make] of kernels) {
    if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
    if (products) tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: make(products, name) });
  }
}

/**
 * Run `fn` with the layers composing tfjs's standard kernels instead of the fused ones (what the
 * ONNX exporter traces and rewrites into ONNX operators); they use the fused ones again
 * afterwards, also when `fn` throws.
 */
export function withoutFusedKernels<T>(fn: () => T): T {
  suspended++;
  try {
    return fn();
  } finally {
    suspended--;
  }
}
