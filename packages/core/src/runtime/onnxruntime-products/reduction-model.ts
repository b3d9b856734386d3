import { fusedModel } from './fused-model';

/**
 * An ONNX model of `y = sum(x, axes)` over the given axes of the input, the reduced axes dropped
 * (tfjs's `keepDims` only reshapes the result): ONNX Runtime's `ReduceSum`, which sums any axis
 * pattern in place of the wasm backend's transpose-then-sum.
 */
export function reductionModel(axes: readonly number[]): Uint8Array {
  return fusedModel('reduce_sum', {
    inputs: ['x'],
    outputs: ['y'],
    int64Constants: { axes },
    nodes: [{ op: 'ReduceSum', input: ['x', 'axes'], output: ['y'], attributes: { keepdims: { i: 0 } } }],
  });
}
