import { ONNX_ATTRIBUTE_TYPES, ONNX_DATA_TYPES, type OnnxAttribute, type OnnxDataType, type OnnxNode, type OnnxTensor } from '@harma/core';
import { isBatchDim, type Dim } from '../trace/symbolic-trace';

/** An attribute value, tagged with its ONNX type. */
export type AttributeValue =
  | { int: number }
  | { ints: readonly number[] }
  | { float: number }
  | { floats: readonly number[] }
  | { string: string }
  | { tensor: OnnxTensor };

/** What is known of a value of the graph: its type and, where known, its shape. */
export interface ValueMeta {
  dtype: OnnxDataType;
  shape?: Dim[];
}

export type HostArray = Float32Array | Int32Array | Uint8Array | Int8Array | BigInt64Array;

const MAX_SHARED_CONSTANT = 16;

function encodeAttribute(name: string, value: AttributeValue): OnnxAttribute {
  if ('int' in value) return { name, type: ONNX_ATTRIBUTE_TYPES.int, i: value.int };
  if ('ints' in value) return { name, type: ONNX_ATTRIBUTE_TYPES.ints, ints: [...value.ints] };
  if ('float' in value) return { name, type: ONNX_ATTRIBUTE_TYPES.float, f: value.float };
  if ('floats' in value) return { name, type: ONNX_ATTRIBUTE_TYPES.floats, floats: [...value.floats] };
  if ('string' in value) return { name, type: ONNX_ATTRIBUTE_TYPES.string, s: new TextEncoder().encode(value.string) };
  return { name, type: ONNX_ATTRIBUTE_TYPES.tensor, t: value.tensor };
}

/** Little-endian bytes of a typed array (the host is little-endian, as every platform Node ships on). */
export function rawBytes(values: HostArray): Uint8Array {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

/** A tensor proto from host values. */
export function tensorProto(name: string, dtype: OnnxDataType, dims: readonly number[], values: HostArray): OnnxTensor {
  return { name, dataType: ONNX_DATA_TYPES[dtype], dims: [...dims], rawData: rawBytes(values) };
}

export function hostArray(dtype: OnnxDataType, values: ArrayLike<number>): HostArray {
  switch (dtype) {
    case 'float32': return Float32Array.from(values);
    case 'int32': return Int32Array.from(values);
    case 'int64': return BigInt64Array.from(Array.from(values, (v) => BigInt(v)));
    case 'bool':
    case 'uint8': return Uint8Array.from(values);
    case 'int8': return Int8Array.from(values);
  }
}

/**
 * Accumulates the nodes, initializers and value types of one ONNX graph. Names are unique; small
 * constants with equal contents are shared.
 */
export class OnnxGraphBuilder {
  nodes: OnnxNode[] = [];
  readonly initializers = new Map<string, OnnxTensor>();
  readonly values = new Map<string, ValueMeta>();
  readonly #taken = new Set<string>();
  readonly #shared = new Map<string, string>();
  #batch: string | undefined;

  /**
   * @param batchSource a graph input whose first dimension is the batch size (for shapes that depend on it).
   */
  constructor(private readonly batchSource?: string) {}

  /** A fresh value or node name starting with `hint`. */
  unique(hint: string): string {
    const base = hint.replace(/[^A-Za-z0-9_.:/-]/g, '_') || 'v';
    let name = base;
    for (let n = 1; this.#taken.has(name); n++) name = `${base}_${n}`;
    this.#taken.add(name);
    return name;
  }

  /** Reserve an exact name (graph inputs and outputs, parameters); throws when it is taken. */
  reserve(name: string): string {
    if (this.#taken.has(name)) throw new Error(`ONNX graph: the name '${name}' is used twice`);
    this.#taken.add(name);
    return name;
  }

  /** Append a node; returns its output names. */
  node(
    opType: string,
    inputs: readonly string[],
    options: { attributes?: Record<string, AttributeValue>; domain?: string; outputs?: number; names?: readonly string[]; meta?: ReadonlyArray<ValueMeta | undefined> } = {},
  ): string[] {
    const count = options.names?.length ?? options.outputs ?? 1;
    const outputs = options.names ? [...options.names] : Array.from({ length: count }, () => this.unique(`${opType}_out`));
    const node: OnnxNode = {
      name: this.unique(opType),
      opType,
      input: [...inputs],
      output: outputs,
      attribute: Object.entries(options.attributes ?? {}).map(([name, value]) => encodeAttribute(name, value)),
    };
    if (options.domain) node.domain = options.domain;
    this.nodes.push(node);
    options.meta?.forEach((meta, i) => {
      if (meta) this.values.set(outputs[i] as string, meta);
    });
    return outputs;
  }

  /** Add an initializer under an exact name. */
  initializer(name: string, dtype: OnnxDataType, dims: readonly number[], values: HostArray): string {
    this.reserve(name);
    return this.#store(name, dtype, dims, values);
  }

  #store(name: string, dtype: OnnxDataType, dims: readonly number[], values: HostArray): string {
    this.initializers.set(name, tensorProto(name, dtype, dims, values));
    this.values.set(name, { dtype, shape: [...dims] });
    return name;
  }

  /** A constant initializer; small ones with equal contents are shared. */
  constant(dtype: OnnxDataType, dims: readonly number[], values: ArrayLike<number> | HostArray, hint = 'const'): string {
    const small = values.length <= MAX_SHARED_CONSTANT;
    const key = small ? `${dtype}|${dims.join(',')}|${Array.from(values as ArrayLike<number>, String).join(',')}` : undefined;
    const existing = key === undefined ? undefined : this.#shared.get(key);
    if (existing) return existing;
    const host = ArrayBuffer.isView(values) && hostArrayMatches(dtype, values) ? (values as HostArray) : hostArray(dtype, values as ArrayLike<number>);
    const name = this.#store(this.unique(hint), dtype, dims, host);
    if (key !== undefined) this.#shared.set(key, name);
    return name;
  }

  /** A 1-D int64 constant. */
  int64s(values: readonly number[]): string {
    return this.constant('int64', [values.length], values, 'ints');
  }

  /** A scalar constant. */
  scalar(dtype: OnnxDataType, value: number): string {
    return this.constant(dtype, [], [value], 'scalar');
  }

  /** The batch size as an int64 [1] value of the graph. */
  batchSize(): string {
    if (this.#batch) return this.#batch;
    if (!this.batchSource) throw new Error('ONNX graph: a shape depends on the batch size, but the graph has no batched input');
    [this.#batch] = this.node('Shape', [this.batchSource], { attributes: { start: { int: 0 }, end: { int: 1 } }, meta: [{ dtype: 'int64', shape: [1] }] });
    return this.#batch as string;
  }

  /**
   * An int64 [rank] value holding `dims`. Fixed entries become a constant; with `inferOne` (Reshape)
   * a single batch-dependent entry becomes −1 when no other entry is −1; otherwise the batch
   * entries are computed from the batch size at run time.
   */
  shape(dims: readonly Dim[], options: { inferOne?: boolean } = {}): string {
    const symbolic = dims.filter(isBatchDim);
    if (symbolic.length === 0) return this.int64s(dims as number[]);
    if (options.inferOne && symbolic.length === 1 && !dims.includes(-1)) return this.int64s(dims.map((d) => (isBatchDim(d) ? -1 : d)));
    const pieces: string[] = [];
    let run: number[] = [];
    for (const dim of dims) {
      if (!isBatchDim(dim)) {
        run.push(dim);
        continue;
      }
      if (run.length > 0) pieces.push(this.int64s(run));
      run = [];
      const batch = this.batchSize();
      pieces.push(dim.batch === 1 ? batch : (this.node('Mul', [batch, this.int64s([dim.batch])], { meta: [{ dtype: 'int64', shape: [1] }] })[0] as string));
    }
    if (run.length > 0) pieces.push(this.int64s(run));
    return this.node('Concat', pieces, { attributes: { axis: { int: 0 } }, meta: [{ dtype: 'int64', shape: [dims.length] }] })[0] as string;
  }
}

function hostArrayMatches(dtype: OnnxDataType, values: ArrayBufferView): boolean {
  switch (dtype) {
    case 'float32': return values instanceof Float32Array;
    case 'int32': return values instanceof Int32Array;
    case 'int64': return values instanceof BigInt64Array;
    case 'bool':
    case 'uint8': return values instanceof Uint8Array;
    case 'int8': return values instanceof Int8Array;
  }
}
