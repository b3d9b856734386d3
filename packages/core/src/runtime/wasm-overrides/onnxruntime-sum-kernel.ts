import * as tf from '@tensorflow/tfjs-core';
import type { OnnxRuntimeProducts } from '../onnxruntime-products/onnxruntime-products';
import { wasmInternals } from './wasm-internals';

/**
 * Sums of fewer values stay on the wasm backend's kernel: there the transpose costs little, and
 * code that relies on one kernel summing in one order (two formulations of a loss that must agree
 * bit for bit) keeps it.
 */
export const MIN_ONNXRUNTIME_SUM_SIZE = 1 << 16;

/**
 * `Sum` of the wasm backend computed by ONNX Runtime's `ReduceSum`, read in place from the wasm
 * heap and written into the output tensor's heap memory. The wasm backend's own kernel first
 * transposes the input so that the summed axes come last — for a per-channel sum of a
 * channels-last activation (BatchNorm statistics, bias gradients) that copy costs more than the
 * sum. Non-float32 tensors, tensors of fewer than `MIN_ONNXRUNTIME_SUM_SIZE` values and sums over
 * no axis go to `fallback`.
 */
export function onnxRuntimeSumKernel(products: OnnxRuntimeProducts, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
    if (x.dtype !== 'float32' || tf.util.sizeFromShape(x.shape) < MIN_ONNXRUNTIME_SUM_SIZE) return fallback(args);
    const axes = [...new Set(tf.util.parseAxisParam(axis, x.shape))].sort((a, b) => a - b);
    if (axes.length === 0) return fallback(args);
    const outShape = x.shape.filter((_, i) => !axes.includes(i));
    const backend = wasmInternals(args.backend);
    const out = backend.makeOutput(outShape, 'float32');
    // Views are taken after the output exists: allocating it may grow the heap and detach older views.
    products.reduceSum(backend.typedArrayFromHeap(x) as Float32Array, x.shape, axes, backend.typedArrayFromHeap(out) as Float32Array, outShape);
    if (keepDims) out.shape = tf.backend_util.expandShapeToKeepDim(outShape, axes);
    return out;
  };
}
