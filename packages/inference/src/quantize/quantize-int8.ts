import { rawBytes } from '../convert/graph-builder';
import { liveNodes } from '../convert/graph-prune';
import { ONNX_DATA_TYPES, type OnnxGraph, type OnnxModel, type OnnxNode, type OnnxTensor } from '@harma/core';

export interface QuantizeOptions {
  /**
   * Quantise weights to 7 bits (±63) instead of 8, which keeps u8×s8 products from saturating on
   * CPUs without AVX-512 VNNI / AVX-VNNI (as ONNX Runtime's `reduce_range`). Default: false.
   */
  reduceRange?: boolean;
  /** Weights with fewer elements stay float32. Default: 0 (every constant weight is quantised). */
  minElements?: number;
}

export interface QuantizeReport {
  /** Weight matrices now int8. */
  quantized: string[];
  /** Bytes of float weights replaced and of the int8 weights and scales that replace them. */
  floatBytes: number;
  int8Bytes: number;
}

function floatValues(tensor: OnnxTensor): Float32Array {
  const bytes = tensor.rawData;
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/**
 * Symmetric per-output-column int8 quantisation of `weight` [K, N] (row-major, the MatMul B
 * layout): scale_n = max_k |w_kn| / qmax, q = round(w / scale_n).
 */
export function quantizeColumns(weight: Float32Array, rows: number, columns: number, qmax = 127): { values: Int8Array; scales: Float32Array } {
  const scales = new Float32Array(columns);
  for (let k = 0; k < rows; k++) {
    for (let n = 0; n < columns; n++) scales[n] = Math.max(scales[n] as number, Math.abs(weight[k * columns + n] as number));
  }
  for (let n = 0; n < columns; n++) scales[n] = (scales[n] as number) > 0 ? (scales[n] as number) / qmax : 1;
  const values = new Int8Array(rows * columns);
  for (let k = 0; k < rows; k++) {
    for (let n = 0; n < columns; n++) {
      const q = Math.round((weight[k * columns + n] as number) / (scales[n] as number));
      values[k * columns + n] = Math.max(-qmax, Math.min(qmax, q));
    }
  }
  return { values, scales };
}

/**
 * The 2-D float initializer `value` is: the initializer itself, or a 1×1 convolution's weight
 * [N, K, 1, 1] reshaped to [N, K] (how `Conv2d` multiplies a pointwise convolution), seen as 2-D.
 */
function matrixInitializer(value: string, initializers: ReadonlyMap<string, OnnxTensor>, producers: ReadonlyMap<string, OnnxNode>): OnnxTensor | undefined {
  const direct = initializers.get(value);
  if (direct) return direct;
  const reshape = producers.get(value);
  if (!reshape || reshape.opType !== 'Reshape' || reshape.domain) return undefined;
  const kernel = initializers.get(reshape.input[0] as string);
  if (!kernel || kernel.dims.length !== 4 || kernel.dims[2] !== 1 || kernel.dims[3] !== 1) return undefined;
  return { ...kernel, dims: kernel.dims.slice(0, 2) };
}

/** The [K, N] weight a MatMul's B input holds: an initializer, or the transpose of one ([N, K], or a 1×1 convolution's weight). */
function constantWeight(
  value: string,
  initializers: ReadonlyMap<string, OnnxTensor>,
  producers: ReadonlyMap<string, OnnxNode>,
): { name: string; data: Float32Array; rows: number; columns: number } | undefined {
  const direct = initializers.get(value);
  if (direct) {
    if (direct.dims.length !== 2 || direct.dataType !== ONNX_DATA_TYPES.float32) return undefined;
    return { name: direct.name, data: floatValues(direct), rows: direct.dims[0] as number, columns: direct.dims[1] as number };
  }
  const transpose = producers.get(value);
  if (!transpose || transpose.opType !== 'Transpose' || transpose.domain) return undefined;
  const perm = transpose.attribute.find((a) => a.name === 'perm')?.ints;
  const source = matrixInitializer(transpose.input[0] as string, initializers, producers);
  if (!source || source.dims.length !== 2 || source.dataType !== ONNX_DATA_TYPES.float32 || (perm && (perm[0] !== 1 || perm[1] !== 0))) return undefined;
  const [n, k] = source.dims as [number, number];
  const original = floatValues(source);
  const data = new Float32Array(k * n);
  for (let row = 0; row < n; row++) for (let column = 0; column < k; column++) data[column * n + row] = original[row * k + column] as number;
  return { name: source.name, data, rows: k, columns: n };
}

function tensor(name: string, dataType: number, dims: number[], values: Float32Array | Int8Array): OnnxTensor {
  return { name, dataType, dims, rawData: rawBytes(values) };
}

/**
 * The int8 dynamic-quantised variant of a model: every MatMul whose B is a constant float weight
 * (or its transpose) becomes ONNX Runtime's `com.microsoft.DynamicQuantizeMatMul` with int8
 * weights and per-column scales (activations are quantised to uint8 per call); a following Add of
 * a constant [N] bias is folded into it. Other nodes are untouched.
 */
export function quantizeModelInt8(model: OnnxModel, options: QuantizeOptions = {}): { model: OnnxModel; report: QuantizeReport } {
  const graph = model.graph;
  const qmax = options.reduceRange ? 63 : 127;
  const minElements = options.minElements ?? 0;
  const initializers = new Map(graph.initializer.map((t) => [t.name, t]));
  const producers = new Map<string, OnnxNode>();
  const consumers = new Map<string, OnnxNode[]>();
  for (const node of graph.node) {
    for (const output of node.output) producers.set(output, node);
    for (const input of node.input) consumers.set(input, [...(consumers.get(input) ?? []), node]);
  }
  const graphOutputs = new Set(graph.output.map((o) => o.name));
  const quantizedWeights = new Map<string, { values: string; scales: string; columns: number }>();
  const added: OnnxTensor[] = [];
  const replaced = new Map<OnnxNode, OnnxNode | null>();
  const report: QuantizeReport = { quantized: [], floatBytes: 0, int8Bytes: 0 };

  for (const node of graph.node) {
    if (node.opType !== 'MatMul' || node.domain) continue;
    const weight = constantWeight(node.input[1] as string, initializers, producers);
    if (!weight || weight.rows * weight.columns < minElements) continue;
    let quantized = quantizedWeights.get(weight.name);
    if (!quantized) {
      const { values, scales } = quantizeColumns(weight.data, weight.rows, weight.columns, qmax);
      quantized = { values: `${weight.name}.int8`, scales: `${weight.name}.scale`, columns: weight.columns };
      added.push(tensor(quantized.values, ONNX_DATA_TYPES.int8, [weight.rows, weight.columns], values));
      added.push(tensor(quantized.scales, ONNX_DATA_TYPES.float32, [weight.columns], scales));
      quantizedWeights.set(weight.name, quantized);
      report.quantized.push(weight.name);
      report.floatBytes += weight.data.byteLength;
      report.int8Bytes += values.byteLength + scales.byteLength;
    }
    const output = node.output[0] as string;
    const users = consumers.get(output) ?? [];
    const add = users.length === 1 && !graphOutputs.has(output) ? users[0] : undefined;
    const biasName = add && add.opType === 'Add' && !add.domain ? add.input.find((input) => input !== output) : undefined;
    const bias = biasName ? initializers.get(biasName) : undefined;
    const foldBias = add !== undefined && bias !== undefined && bias.dims.length === 1 && bias.dims[0] === quantized.columns && bias.dataType === ONNX_DATA_TYPES.float32;
    const fused: OnnxNode = {
      name: `${node.name}_int8`,
      opType: 'DynamicQuantizeMatMul',
      domain: 'com.microsoft',
      input: [node.input[0] as string, quantized.values, quantized.scales, ...(foldBias ? ['', bias.name] : [])],
      output: foldBias ? [...add.output] : [output],
      attribute: [],
    };
    if (foldBias) {
      replaced.set(node, null);
      replaced.set(add, fused);
    } else {
      replaced.set(node, fused);
    }
  }

  const nodes: OnnxNode[] = [];
  for (const node of graph.node) {
    const replacement = replaced.get(node);
    if (replacement === null) continue;
    nodes.push(replacement ?? node);
  }
  const quantizedGraph: OnnxGraph = { ...graph, node: nodes, initializer: [...graph.initializer, ...added] };
  pruneGraph(quantizedGraph);
  const opsetImport = model.opsetImport.some((o) => o.domain === 'com.microsoft') ? model.opsetImport : [...model.opsetImport, { domain: 'com.microsoft', version: 1 }];
  return { model: { ...model, opsetImport, graph: quantizedGraph }, report };
}

/** Remove nodes no output needs and initializers no node reads. */
export function pruneGraph(graph: OnnxGraph): void {
  const { nodes, needed } = liveNodes(graph.node, graph.output.map((o) => o.name));
  graph.node = nodes;
  graph.initializer = graph.initializer.filter((t) => needed.has(t.name));
}
