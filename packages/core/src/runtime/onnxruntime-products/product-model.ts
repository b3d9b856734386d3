import { encodeOnnxModel, ONNX_ATTRIBUTE_TYPES, ONNX_DATA_TYPES, type OnnxValueInfo } from '../../onnx/onnx-model';

export interface ProductFlags {
  transposeA: boolean;
  transposeB: boolean;
}

/** A float32 tensor of any rank and shape: the session takes every product of one flag pair. */
function anyShape(name: string): OnnxValueInfo {
  return { name, type: { tensorType: { elemType: ONNX_DATA_TYPES.float32 } } };
}

/**
 * An ONNX model of one matrix product `y = op(a)·op(b)` with batch broadcasting as NumPy's
 * `matmul`, `op` transposing the last two axes where its flag says: ONNX Runtime's
 * `com.microsoft.FusedMatMul`, which hands the flags to MLAS's GEMM instead of transposing.
 */
export function productModel(flags: ProductFlags): Uint8Array {
  const flag = (name: string, on: boolean) => ({ name, type: ONNX_ATTRIBUTE_TYPES.int, i: on ? 1 : 0 });
  return encodeOnnxModel({
    irVersion: 8,
    opsetImport: [
      { domain: '', version: 17 },
      { domain: 'com.microsoft', version: 1 },
    ],
    producerName: '@harma/core',
    producerVersion: '1',
    graph: {
      name: 'product',
      node: [
        {
          name: 'product',
          opType: 'FusedMatMul',
          domain: 'com.microsoft',
          input: ['a', 'b'],
          output: ['y'],
          attribute: [flag('transA', flags.transposeA), flag('transB', flags.transposeB)],
        },
      ],
      initializer: [],
      input: [anyShape('a'), anyShape('b')],
      output: [anyShape('y')],
    },
  });
}
