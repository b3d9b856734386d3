import type * as tf from '@tensorflow/tfjs-core';
import type { OnnxRuntimeProducts } from '../onnxruntime-products/onnxruntime-products';
import { productShape } from './product-shape';
import { wasmInternals } from './wasm-internals';

/**
 * `BatchMatMul` of the wasm backend computed by ONNX Runtime's MLAS: operands are read in place
 * from the wasm heap and the product written straight into the output tensor's heap memory, so
 * nothing is copied; transpose flags and NumPy batch broadcasting go to MLAS as they are.
 * Non-float32 and empty products go to `fallback` (the XNNPACK kernel).
 */
export function onnxRuntimeBatchMatMulKernel(products: OnnxRuntimeProducts, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const shape = productShape(args);
    if (!shape) return fallback(args);
    const { a, b, m, n, outer, transposeA, transposeB } = shape;
    const outShape = [...outer, m, n];

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
