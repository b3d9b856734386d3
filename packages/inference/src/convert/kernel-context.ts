import type * as tf from '@tensorflow/tfjs-core';
import type { OnnxDataType } from '@harma/core';
import type { Dim, SymbolicKernel } from '../trace/symbolic-trace';
import type { AttributeValue, OnnxGraphBuilder, ValueMeta } from './graph-builder';

/** What a kernel converter sees of the kernel it turns into ONNX nodes. */
export interface KernelContext {
  readonly builder: OnnxGraphBuilder;
  readonly kernel: SymbolicKernel;
  /** The graph value feeding input `key`. */
  input(key: string): string;
  /** Every input's value, in the kernel's order (Concat, AddN, Pack). */
  inputList(): string[];
  inputShape(key: string): Dim[];
  inputDtype(key: string): tf.DataType;
  /** Type and shape of kernel output `index`. */
  outputMeta(index?: number): ValueMeta;
  /** A node whose outputs are the kernel's outputs (types recorded). */
  emit(opType: string, inputs: readonly string[], attributes?: Record<string, AttributeValue>, domain?: string): string[];
  /** An error naming the kernel. */
  fail(message: string): Error;
}

/** Turns one traced tfjs kernel into ONNX nodes; returns one value per kernel output. */
export type KernelConverter = (context: KernelContext) => string[];

export function onnxDtype(dtype: tf.DataType): OnnxDataType {
  switch (dtype) {
    case 'float32': return 'float32';
    case 'int32': return 'int32';
    case 'bool': return 'bool';
    default: throw new Error(`tensors of dtype ${dtype} cannot be exported to ONNX`);
  }
}

/** Typed reading of kernel attributes, with errors naming the kernel. */
export function numberAttr(context: KernelContext, name: string): number {
  const value = context.kernel.attrs[name];
  if (typeof value !== 'number') throw context.fail(`attribute '${name}' is ${JSON.stringify(value)}, expected a fixed number`);
  return value;
}

export function booleanAttr(context: KernelContext, name: string, fallback = false): boolean {
  const value = context.kernel.attrs[name];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw context.fail(`attribute '${name}' is ${JSON.stringify(value)}, expected a boolean`);
  return value;
}

/** A list of fixed numbers (a single number reads as a one-entry list). */
export function numbersAttr(context: KernelContext, name: string): number[] {
  const value = context.kernel.attrs[name];
  const list = Array.isArray(value) ? value : [value];
  if (!list.every((entry) => typeof entry === 'number')) throw context.fail(`attribute '${name}' is ${JSON.stringify(value)}, expected fixed numbers`);
  return list as number[];
}

/** A shape-like list whose entries may depend on the batch size. */
export function dimsAttr(context: KernelContext, name: string): Dim[] {
  const value = context.kernel.attrs[name];
  const list = Array.isArray(value) ? value : [value];
  return list as Dim[];
}

/** `axis` in [0, rank). */
export function normalizeAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}
