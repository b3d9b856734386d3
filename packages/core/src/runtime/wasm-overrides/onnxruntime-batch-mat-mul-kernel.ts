import * as tf from '@tensorflow/tfjs-core';
import type { OnnxRuntimeProducts } from '../onnxruntime-products/onnxruntime-products';
import { wasmInternals } from './wasm-internals';

interface BatchMatMulAttributes {
  transposeA: boolean;
  transposeB: boolean;
}

/**
 * `BatchMatMul` of the wasm backend computed by ONNX Runtime's MLAS: operands are read in place
 * from the wasm heap and the product written straight into the output tensor's heap memory, so
 * nothing is copied; transpose flags and NumPy batch broadcasting go to MLAS as they are.
 * Non-float32 and empty products go to `fallback` (the XNNPACK kernel).
 */
export function onnxRuntimeBatchMatMulKernel(products: OnnxRuntimeProducts, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as unknown as BatchMatMulAttributes;
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return fallback(args);
    const [aRows, aColumns] = a.shape.slice(-2) as [number, number];
    const [bRows, bColumns] = b.shape.slice(-2) as [number, number];
    const m = transposeA ? aColumns : aRows;
    const k = transposeA ? aRows : aColumns;
    const n = transposeB ? bRows : bColumns;
    if ((transposeB ? bColumns : bRows) !== k || m * n * k === 0) return fallback(args);
    const outer = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
    const outShape = [...outer, m, n];
    if (tf.util.sizeFromShape(outer) === 0) return fallback(args);

    const backend = wasmInternals(args.backend);
    const out = backend.makeOutput(outShape, 'float32');
    // Views are taken after the output exists: allocating it may grow the heap and detach older views.
    products.multiply({
      a: backend.typedArrayFromHeap(a) as Float32Array,
      aShape: a.shape,
      b: backend.typedArrayFromHeap(b) as Float32Array,
      bShape: b.shape,
      out: backend.typedArrayFromHeap(out) as Float32Array,
      outShape,
      transposeA,
      transposeB,
    });
    return out;
  };
}
