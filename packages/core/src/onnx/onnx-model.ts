import protobuf from 'protobufjs/light.js';
import { ONNX_SCHEMA } from './onnx-schema';

/** ONNX tensor element types the exporter uses, by their `TensorProto.DataType` number. */
export const ONNX_DATA_TYPES = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9 } as const;
export type OnnxDataType = keyof typeof ONNX_DATA_TYPES;

/** `AttributeProto.AttributeType` numbers. */
export const ONNX_ATTRIBUTE_TYPES = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7 } as const;

/** A constant tensor (an initializer), its data little-endian in `rawData`. */
export interface OnnxTensor {
  name: string;
  dataType: number;
  dims: number[];
  rawData: Uint8Array;
  docString?: string;
}

export interface OnnxAttribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: OnnxTensor;
  floats?: number[];
  ints?: number[];
}

export interface OnnxNode {
  name: string;
  opType: string;
  /** Operator-set domain; empty for the standard `ai.onnx` operators. */
  domain?: string;
  input: string[];
  output: string[];
  attribute: OnnxAttribute[];
}

/** A dimension is a number or a named symbol (`batch_size`). */
export interface OnnxDimension {
  dimValue?: number;
  dimParam?: string;
}

export interface OnnxValueInfo {
  name: string;
  /** No `shape`: any rank and any dimensions. */
  type: { tensorType: { elemType: number; shape?: { dim: OnnxDimension[] } } };
  docString?: string;
}

export interface OnnxGraph {
  name: string;
  node: OnnxNode[];
  initializer: OnnxTensor[];
  input: OnnxValueInfo[];
  output: OnnxValueInfo[];
  docString?: string;
}

export interface OnnxOperatorSet {
  domain: string;
  version: number;
}

export interface OnnxModel {
  irVersion: number;
  opsetImport: OnnxOperatorSet[];
  producerName: string;
  producerVersion: string;
  docString?: string;
  graph: OnnxGraph;
  metadataProps?: Array<{ key: string; value: string }>;
}

let modelType: protobuf.Type | undefined;

function onnxModelType(): protobuf.Type {
  modelType ??= protobuf.Root.fromJSON(ONNX_SCHEMA).lookupType('onnx.ModelProto');
  return modelType;
}

/** Serialise a model to the ONNX protobuf wire format (an `.onnx` file's bytes). */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  return onnxModelType().encode(model).finish();
}

/**
 * Parse `.onnx` bytes into plain objects (64-bit integers as numbers, byte fields as Buffers).
 * Fields outside the exporter's schema subset are skipped. `source` names the file in errors.
 */
export function decodeOnnxModel(bytes: Uint8Array, source = 'ONNX model'): OnnxModel {
  const type = onnxModelType();
  let message: protobuf.Message;
  try {
    message = type.decode(bytes);
  } catch (error) {
    throw new Error(`${source}: not an ONNX model (${(error as Error).message})`);
  }
  const model = type.toObject(message, { longs: Number, arrays: true, defaults: false }) as OnnxModel;
  if (!model.graph) throw new Error(`${source}: the ONNX model has no graph`);
  return model;
}
