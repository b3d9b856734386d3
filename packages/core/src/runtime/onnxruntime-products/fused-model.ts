import { encodeOnnxModel, ONNX_ATTRIBUTE_TYPES, ONNX_DATA_TYPES, type OnnxNode, type OnnxValueInfo } from '../../onnx/onnx-model';

/** A node of a fused graph: operator, inputs, outputs, attributes (`f` float, `i` int, `ints`). */
export interface FusedNode {
  op: string;
  /** `com.microsoft` for ONNX Runtime's contrib operators. Default: the standard domain. */
  domain?: 'com.microsoft';
  input: string[];
  output: string[];
  attributes?: Record<string, { f: number } | { i: number } | { ints: number[] }>;
}

/** A float32 tensor of any rank and shape. */
function anyShape(name: string): OnnxValueInfo {
  return { name, type: { tensorType: { elemType: ONNX_DATA_TYPES.float32 } } };
}

/**
 * An ONNX model of a small float32 graph that stands for one tfjs kernel (a product, a
 * convolution, a sum, an activation and its derivative, a layer norm): `constants` become float32
 * scalar initializers, `int64Constants` int64 vectors (axes), every input and output is float32 of
 * any shape.
 */
export function fusedModel(
  name: string,
  graph: { inputs: string[]; outputs: string[]; nodes: FusedNode[]; constants?: Record<string, number>; int64Constants?: Record<string, readonly number[]> },
): Uint8Array {
  const node: OnnxNode[] = graph.nodes.map((n, index) => ({
    name: `${name}_${index}`,
    opType: n.op,
    ...(n.domain ? { domain: n.domain } : {}),
    input: n.input,
    output: n.output,
    attribute: Object.entries(n.attributes ?? {}).map(([attribute, value]) =>
      'f' in value ? { name: attribute, type: ONNX_ATTRIBUTE_TYPES.float, f: value.f } : 'i' in value ? { name: attribute, type: ONNX_ATTRIBUTE_TYPES.int, i: value.i } : { name: attribute, type: ONNX_ATTRIBUTE_TYPES.ints, ints: value.ints },
    ),
  }));
  const initializer = [
    ...Object.entries(graph.constants ?? {}).map(([constant, value]) => ({ name: constant, dataType: ONNX_DATA_TYPES.float32, dims: [], rawData: new Uint8Array(new Float32Array([value]).buffer) })),
    ...Object.entries(graph.int64Constants ?? {}).map(([constant, values]) => ({
      name: constant,
      dataType: ONNX_DATA_TYPES.int64,
      dims: [values.length],
      rawData: new Uint8Array(new BigInt64Array(values.map(BigInt)).buffer),
    })),
  ];
  return encodeOnnxModel({
    irVersion: 8,
    opsetImport: [
      { domain: '', version: 17 },
      { domain: 'com.microsoft', version: 1 },
    ],
    producerName: '@harma/core',
    producerVersion: '1',
    graph: { name, node, initializer, input: graph.inputs.map(anyShape), output: graph.outputs.map(anyShape) },
  });
}
