import * as tf from '@tensorflow/tfjs-core';
import { wasmInternals } from './wasm-internals';

interface TransposeAttributes {
  perm: number[];
}

/** Below this many elements the original kernel is as fast and the override is not worth a call. */
const MIN_ELEMENTS = 1 << 16;
const BLOCK = 8;

/**
 * `Transpose` whose 2-D case (a matrix, once axes of size one are set aside) runs as a blocked
 * copy in JavaScript, writing whole output rows. tfjs-backend-wasm 4.22's loop reads or writes
 * with the stride of a row and slows to a crawl on row lengths that are multiples of 256 floats:
 * 28 ms for a [3072, 768] matrix (ViT-B/32's `c_fc` weight) where this takes 4 ms. The frozen
 * weights of a model trained with `keepTransposed` off are transposed in every forward pass.
 * Other transposes, small ones and non-float32 go to `original`. Bit-exact (a copy).
 */
export function transposeKernel(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { perm } = args.attrs as unknown as TransposeAttributes;
    const size = tf.util.sizeFromShape(x.shape);
    if (x.dtype !== 'float32' || size < MIN_ELEMENTS) return original(args);
    // The axes that are not of size one, in input order, and where the permutation sends them.
    const kept = x.shape.map((extent, axis) => ({ extent, axis })).filter(({ extent }) => extent !== 1);
    const order = perm.filter((axis) => x.shape[axis] !== 1);
    if (kept.length !== 2 || order[0] !== kept[1]?.axis) return original(args);
    const rows = (kept[0] as { extent: number }).extent;
    const columns = (kept[1] as { extent: number }).extent;
    const backend = wasmInternals(args.backend);
    const out = backend.makeOutput(perm.map((axis) => x.shape[axis] as number), 'float32');
    const source = backend.typedArrayFromHeap(x) as Float32Array;
    const target = backend.typedArrayFromHeap(out) as Float32Array;
    for (let r0 = 0; r0 < rows; r0 += BLOCK) {
      const r1 = Math.min(r0 + BLOCK, rows);
      for (let c0 = 0; c0 < columns; c0 += BLOCK) {
        const c1 = Math.min(c0 + BLOCK, columns);
        for (let c = c0; c < c1; c++) {
          let write = c * rows + r0;
          let read = r0 * columns + c;
          for (let r = r0; r < r1; r++) {
            target[write++] = source[read] as number;
            read += columns;
          }
        }
      }
    }
    return out;
  };
}
