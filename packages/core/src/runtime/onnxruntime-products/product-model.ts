import { fusedModel } from './fused-model';

export interface ProductFlags {
  transposeA: boolean;
  transposeB: boolean;
}

/**
 * An ONNX model of one matrix product `y = op(a)·op(b)` with batch broadcasting as NumPy's
 * `matmul`, `op` transposing the last two axes where its flag says: ONNX Runtime's
 * `com.microsoft.FusedMatMul`, which hands the flags to MLAS's GEMM instead of transposing.
 * Any rank and shape: the session takes every product of one flag pair.
 */
export function productModel(flags: ProductFlags): Uint8Array {
  return fusedModel('product', {
    inputs: ['a', 'b'],
    outputs: ['y'],
    nodes: [{ op: 'FusedMatMul', domain: 'com.microsoft', input: ['a', 'b'], output: ['y'], attributes: { transA: { i: flags.transposeA ? 1 : 0 }, transB: { i: flags.transposeB ? 1 : 0 } } }],
  });
}
