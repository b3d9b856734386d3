import { encodeOnnxModel, ONNX_DATA_TYPES, type OnnxValueInfo } from '../../onnx/onnx-model';

/** A float32 tensor of any rank and shape. */
function anyShape(name: string): OnnxValueInfo {
  return { name, type: { tensorType: { elemType: ONNX_DATA_TYPES.float32 } } };
}

/**
 * An ONNX model of `y = sum(x, axes)` over the given axes of a rank-`rank` input, the reduced axes
 * dropped (tfjs's `keepDims` only reshapes the result): ONNX Runtime's `ReduceSum`, which sums
 * any axis pattern in place of the wasm backend's transpose-then-sum.
 */
export function reductionModel(axes: readonly number[]): Uint8Array {
  const axesData = new BigInt64Array(axes.map(BigInt));
  return encodeOnnxModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: '@harma/core',
    producerVersion: '1',
    graph: {
      name: 'reduce_sum',
      node: [{ name: 'sum', opType: 'ReduceSum', input: ['x', 'axes'], output: ['y'], attribute: [{ name: 'keepdims', type: 2, i: 0 }] }],
      initializer: [{ name: 'axes', dataType: ONNX_DATA_TYPES.int64, dims: [axes.length], rawData: new Uint8Array(axesData.buffer) }],
      input: [anyShape('x')],
      output: [anyShape('y')],
    },
  });
}
