import * as tf from '@tensorflow/tfjs-core';
import type { OnnxRuntimeProducts } from '../onnxruntime-products/onnxruntime-products';
import { batchMatMulKernel } from './batch-mat-mul-kernel';
import { onnxRuntimeBatchMatMulKernel } from './onnxruntime-batch-mat-mul-kernel';
import { onnxRuntimeConv2DKernel } from './onnxruntime-conv2d-kernel';
import { registerFusedKernels } from './onnxruntime-fused-kernels';
import { onnxRuntimeSumKernel } from './onnxruntime-sum-kernel';
import { sliceKernel, splitKernel } from './slice-kernels';
import { transposeKernel } from './transpose-kernel';
import { wasmInternals } from './wasm-internals';

/** Our kernel now registered under each name, and the wasm backend's own one it replaced. */
const installed = new Map<string, { kernelFunc: tf.KernelFunc; original: tf.KernelFunc; variant: unknown }>();

/**
 * `Identity` that shares its input's data (with a reference count, as the cpu backend and the
 * wasm backend's own `Reshape` do) instead of copying it. The engine clones every tensor a
 * gradient keeps for the backward pass through `Identity`, so with the copying original each saved
 * activation, and each frozen weight a layer saves, was copied once more per forward pass under
 * `tf.grad` (a ViT-B/32 image forward saved its 0.35 GB of weights again). Tensors are immutable,
 * so nothing can tell the difference.
 */
const identityKernel: tf.KernelFunc = (args) => {
  const { x } = args.inputs as { x: tf.TensorInfo };
  wasmInternals(args.backend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

export interface WasmKernelOverrideOptions {
  /** Compute float32 `BatchMatMul`, `Conv2D` and `Sum` on ONNX Runtime instead of XNNPACK. Default: none (XNNPACK). */
  products?: OnnxRuntimeProducts;
}

/**
 * Replace the tfjs-backend-wasm 4.22 kernels that waste most time or memory in training:
 * `BatchMatMul` (on ONNX Runtime when `products` is given, see `onnxRuntimeBatchMatMulKernel`;
 * else batched and flagged products on XNNPACK, see `batchMatMulKernel`), `Conv2D` (on ONNX
 * Runtime when `products` is given, see `onnxRuntimeConv2DKernel`), float32 `Sum` (likewise, see
 * `onnxRuntimeSumKernel`), `Slice` and `SplitV`
 * (copy only the requested part, see `sliceKernel`), `Transpose` (matrices by blocks, see
 * `transposeKernel`) and `Identity` (share, do not copy); with `products`, also registers the
 * fused activation kernels (`FUSED_KERNELS`) the layers use when the backend has them.
 * Results are the same up to float summation order and ONNX Runtime's vectorised exp/erf (the
 * kernels on ONNX Runtime) or bit for bit (the rest); strings
 * keep the original kernels. Called by `useBackend('wasm')`; idempotent for the same options.
 */
export function installWasmKernelOverrides(options: WasmKernelOverrideOptions = {}): void {
  replace('Transpose', (original) => transposeKernel(original));
  const transpose = kernelOf('Transpose');
  replace('Identity', () => identityKernel);
  replace('Slice', () => sliceKernel);
  replace('SplitV', () => splitKernel);
  const { products } = options;
  replace(
    'BatchMatMul',
    (original) => {
      const xnnpack = batchMatMulKernel(original, transpose);
      return products ? onnxRuntimeBatchMatMulKernel(products, xnnpack) : xnnpack;
    },
    products,
  );
  replace('Conv2D', (original) => (products ? onnxRuntimeConv2DKernel(products, original) : original), products);
  replace('Sum', (original) => (products ? onnxRuntimeSumKernel(products, original) : original), products);
  registerFusedKernels(products);
}

function kernelOf(kernelName: string): tf.KernelFunc {
  const kernel = tf.getKernel(kernelName, 'wasm');
  if (!kernel) throw new Error(`the wasm backend has no ${kernelName} kernel`);
  return kernel.kernelFunc;
}

/** Register `make(original)` under `kernelName`; again only when `variant` (what it is made from) changed. */
function replace(kernelName: string, make: (original: tf.KernelFunc) => tf.KernelFunc, variant?: unknown): void {
  const current = tf.getKernel(kernelName, 'wasm');
  if (!current) throw new Error(`the wasm backend has no ${kernelName} kernel to replace`);
  const ours = installed.get(kernelName);
  const isOurs = current.kernelFunc === ours?.kernelFunc;
  if (isOurs && ours.variant === variant) return;
  const original = isOurs ? ours.original : current.kernelFunc;
  const fast = make(original);
  const kernelFunc: tf.KernelFunc = (args) => {
    const inputs = Object.values(args.inputs) as tf.TensorInfo[];
    return inputs.some((input) => input.dtype === 'string') ? original(args) : fast(args);
  };
  tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ ...current, kernelFunc });
  installed.set(kernelName, { kernelFunc, original, variant });
}
