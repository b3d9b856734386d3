import * as tf from '@tensorflow/tfjs-core';
import { wasmInternals, type WasmBackendInternals } from './wasm-internals';

interface SliceAttributes {
  begin: number | number[];
  size: number | number[];
}

interface SplitAttributes {
  numOrSizeSplits: number | number[];
  axis: number;
}

/**
 * `Slice` that copies only the requested part. tfjs-backend-wasm 4.22 reads the WHOLE input out of
 * the wasm heap into a fresh JavaScript array on every slice before copying the part it wants:
 * ~50 ms for a 10 MB tensor, more than the matMul that produced it. This one reads the heap in place.
 */
export const sliceKernel: tf.KernelFunc = (args) => {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { begin, size } = args.attrs as unknown as SliceAttributes;
  return sliceFromHeap(x, begin, size, wasmInternals(args.backend));
};

/** `SplitV` on the same in-place slices (the original slices its whole input once per part). */
export const splitKernel: tf.KernelFunc = (args) => {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { numOrSizeSplits, axis } = args.attrs as unknown as SplitAttributes;
  const backend = wasmInternals(args.backend);
  const dimension = tf.util.parseAxisParam(axis, x.shape)[0] as number;
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, dimension);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((part) => {
    const size = [...x.shape];
    size[dimension] = part;
    const out = sliceFromHeap(x, begin, size, backend);
    begin[dimension] = (begin[dimension] as number) + part;
    return out;
  });
};

/** The part of `x` at `begin` of extent `size` (−1: to the end), as a new tensor on the heap. */
function sliceFromHeap(x: tf.TensorInfo, begin: number | number[], size: number | number[], backend: WasmBackendInternals): tf.TensorInfo {
  const [start, extent] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size) as [number[], number[]];
  // Allocate first: growing the heap detaches every view taken before.
  const out = backend.makeOutput(extent, x.dtype);
  const count = tf.util.sizeFromShape(extent);
  if (count === 0) return out;
  const source = backend.typedArrayFromHeap(x);
  const target = backend.typedArrayFromHeap(out);
  const strides = tf.util.computeStrides(x.shape);
  if (tf.slice_util.isSliceContinous(x.shape, start, extent)) {
    const offset = tf.slice_util.computeFlatOffset(start, strides);
    target.set(source.subarray(offset, offset + count));
    return out;
  }
  // Copy row by row along the last axis; `index` walks the outer axes of the slice like an odometer.
  const rank = extent.length;
  const row = extent[rank - 1] as number;
  const index = new Array<number>(rank - 1).fill(0);
  for (let written = 0; written < count; written += row) {
    let offset = start[rank - 1] as number;
    for (let axis = 0; axis < rank - 1; axis++) offset += ((start[axis] as number) + (index[axis] as number)) * (strides[axis] as number);
    target.set(source.subarray(offset, offset + row), written);
    for (let axis = rank - 2; axis >= 0; axis--) {
      index[axis] = (index[axis] as number) + 1;
      if ((index[axis] as number) < (extent[axis] as number)) break;
      index[axis] = 0;
    }
  }
  return out;
}
