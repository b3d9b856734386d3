import * as tf from '@tensorflow/tfjs-core';
import type { OnnxRuntimeProducts } from '../onnxruntime-products/onnxruntime-products';
import { wasmInternals } from './wasm-internals';

type Shape4 = [number, number, number, number];

/**
 * `Conv2D` of the wasm backend computed by ONNX Runtime's MLAS: input and filter are read in
 * place from the wasm heap and the result written straight into the output tensor's heap memory.
 * tfjs's attributes (strides, dilations, `'same'`/`'valid'`/explicit padding, rounding) are
 * resolved by tfjs's own `computeConv2DInfo`, so output shapes are exactly the original kernel's.
 * Anything else (channels-first data, non-float32, empty tensors) goes to `fallback`.
 */
export function onnxRuntimeConv2DKernel(products: OnnxRuntimeProducts, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    const { strides, dilations, pad, dimRoundingMode, dataFormat } = args.attrs as unknown as tf.Conv2DAttrs;
    if (x.dtype !== 'float32' || filter.dtype !== 'float32' || dataFormat !== 'NHWC') return fallback(args);
    const info = tf.backend_util.computeConv2DInfo(x.shape as Shape4, filter.shape as Shape4, strides, dilations, pad, dimRoundingMode, false, 'channelsLast');
    if (tf.util.sizeFromShape(info.outShape) === 0 || tf.util.sizeFromShape(x.shape) === 0) return fallback(args);
    const { padInfo } = info;
    const backend = wasmInternals(args.backend);
    const out = backend.makeOutput(info.outShape, 'float32');
    // Views are taken after the output exists: allocating it may grow the heap and detach older views.
    products.convolve({
      x: backend.typedArrayFromHeap(x) as Float32Array,
      xShape: x.shape as Shape4,
      filter: backend.typedArrayFromHeap(filter) as Float32Array,
      filterShape: filter.shape as Shape4,
      out: backend.typedArrayFromHeap(out) as Float32Array,
      outShape: info.outShape as Shape4,
      strides: [info.strideHeight, info.strideWidth],
      dilations: [info.dilationHeight, info.dilationWidth],
      pads: [padInfo.top, padInfo.left, padInfo.bottom, padInfo.right],
    });
    return out;
  };
}
