import { elementCount, type HostData, type SafetensorsDtype } from '@harma/core';

export const ELEMENT_BYTES: Record<SafetensorsDtype, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

/** View aligned little-endian bytes as the typed array of `dtype` (no copy). */
export function typedView(dtype: SafetensorsDtype, bytes: Uint8Array, length: number): HostData {
  const { buffer, byteOffset } = bytes;
  switch (dtype) {
    case 'F64': return new Float64Array(buffer, byteOffset, length);
    case 'F32': return new Float32Array(buffer, byteOffset, length);
    case 'F16':
    case 'BF16': return new Uint16Array(buffer, byteOffset, length);
    case 'I64': return new BigInt64Array(buffer, byteOffset, length);
    case 'I32': return new Int32Array(buffer, byteOffset, length);
    case 'I16': return new Int16Array(buffer, byteOffset, length);
    case 'I8': return new Int8Array(buffer, byteOffset, length);
    case 'U8':
    case 'BOOL': return new Uint8Array(buffer, byteOffset, length);
  }
}

/** Whether `stride` is the row-major layout of `shape` (dimensions of size 1 may have any stride). */
export function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    const size = shape[d] as number;
    if (size !== 1 && stride[d] !== expected) return false;
    expected *= size;
  }
  return true;
}

/** Largest storage index a strided view touches (offset − 1 for an empty view). */
export function lastIndex(offset: number, shape: readonly number[], stride: readonly number[]): number {
  if (elementCount(shape) === 0) return offset - 1;
  return shape.reduce((last, size, d) => last + (size - 1) * (stride[d] as number), offset);
}

/**
 * Copy the strided view `storage[offset + Σ index_d · stride_d]` into a new row-major array of the
 * same element type. The caller has checked that every index lies inside the storage.
 */
export function stridedCopy<T extends HostData>(storage: T, offset: number, shape: readonly number[], stride: readonly number[]): T {
  const count = elementCount(shape);
  if (isContiguous(shape, stride)) return storage.slice(offset, offset + count) as T;
  const out = new (storage.constructor as new (length: number) => T)(count);
  const rank = shape.length;
  const inner = shape[rank - 1] as number;
  const innerStride = stride[rank - 1] as number;
  const index = new Array<number>(Math.max(rank - 1, 0)).fill(0);
  let written = 0;
  while (written < count) {
    let base = offset;
    for (let d = 0; d < rank - 1; d++) base += (index[d] as number) * (stride[d] as number);
    for (let i = 0; i < inner; i++) out[written + i] = storage[base + i * innerStride] as never;
    written += inner;
    // Advance the outer multi-index like an odometer.
    for (let d = rank - 2; d >= 0; d--) {
      index[d] = (index[d] as number) + 1;
      if ((index[d] as number) < (shape[d] as number)) break;
      index[d] = 0;
    }
  }
  return out;
}
