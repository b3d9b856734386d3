import * as tf from '@tensorflow/tfjs-core';
import { bfloat16ToFloat, floatToBfloat16, floatToHalf, halfToFloat, type HostData, type SafetensorsDtype } from './dtype';

/** A tensor in host memory, in the element type of a file (no tfjs engine involved). */
export interface HostTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: HostData;
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Widen a host tensor to what tfjs holds: floats → float32, integers → int32 (an int64 value
 * beyond the int32 range is an error, not a silent wrap), BOOL → bool.
 */
export function hostToTensor(host: HostTensor, name = 'tensor'): tf.Tensor {
  const { dtype, shape, data } = host;
  switch (dtype) {
    case 'F32':
      return tf.tensor(data as Float32Array, shape, 'float32');
    case 'F64':
      return tf.tensor(Float32Array.from(data as Float64Array), shape, 'float32');
    case 'F16':
    case 'BF16': {
      const raw = data as Uint16Array;
      const convert = dtype === 'F16' ? halfToFloat : bfloat16ToFloat;
      const out = new Float32Array(raw.length);
      for (let i = 0; i < raw.length; i++) out[i] = convert(raw[i] as number);
      return tf.tensor(out, shape, 'float32');
    }
    case 'I64': {
      const raw = data as BigInt64Array;
      const out = new Int32Array(raw.length);
      for (let i = 0; i < raw.length; i++) {
        const v = raw[i] as bigint;
        if (v > 2147483647n || v < -2147483648n) {
          throw new RangeError(`${name}: int64 value ${v} at element ${i} does not fit in int32`);
        }
        out[i] = Number(v);
      }
      return tf.tensor(out, shape, 'int32');
    }
    case 'I32':
      return tf.tensor(data as Int32Array, shape, 'int32');
    case 'I16':
    case 'I8':
    case 'U8':
      return tf.tensor(Int32Array.from(data as Int16Array), shape, 'int32');
    case 'BOOL':
      return tf.tensor(Uint8Array.from(data as Uint8Array, (v) => (v ? 1 : 0)), shape, 'bool');
  }
}

/** Bring a tfjs tensor to host memory in a file dtype; float32 may be narrowed to F16/BF16, int32 widened to I64. */
export function tensorToHost(tensor: tf.Tensor, dtype?: SafetensorsDtype): HostTensor {
  const shape = [...tensor.shape];
  const values = tensor.dataSync();
  const target = dtype ?? defaultDtype(tensor.dtype);
  return { dtype: target, shape, data: convertValues(values, target) };
}

function defaultDtype(dtype: tf.DataType): SafetensorsDtype {
  switch (dtype) {
    case 'float32': return 'F32';
    case 'int32': return 'I32';
    case 'bool': return 'BOOL';
    default: throw new Error(`tensors of dtype ${dtype} cannot be stored in safetensors`);
  }
}

function convertValues(values: ArrayLike<number> | Uint8Array, target: SafetensorsDtype): HostData {
  const n = values.length;
  switch (target) {
    case 'F32': return Float32Array.from(values as ArrayLike<number>);
    case 'F64': return Float64Array.from(values as ArrayLike<number>);
    case 'F16': return Uint16Array.from(values as ArrayLike<number>, floatToHalf);
    case 'BF16': return Uint16Array.from(values as ArrayLike<number>, floatToBfloat16);
    case 'I64': {
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) out[i] = BigInt(Math.trunc(values[i] as number));
      return out;
    }
    case 'I32': return Int32Array.from(values as ArrayLike<number>);
    case 'I16': return Int16Array.from(values as ArrayLike<number>);
    case 'I8': return Int8Array.from(values as ArrayLike<number>);
    case 'U8':
    case 'BOOL': return Uint8Array.from(values as ArrayLike<number>);
  }
}
