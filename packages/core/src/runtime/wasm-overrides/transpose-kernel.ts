import * as tf from '@tensorflow/tfjs-core';
import { wasmInternals } from './wasm-internals';

interface TransposeAttributes {
  perm: number[];
}

/** Below this many elements the original kernel is as fast and the override is not worth a call. */
const MIN_ELEMENTS = 1 << 16;
const BLOCK = 8;
/** The runs case: from this rank (below it the backend's loop is as fast) and this run length. */
const MIN_RUNS_RANK = 5;
const MIN_RUN = 16;

/**
 * `Transpose` with two cases in JavaScript, both bit-exact (copies):
 * - a matrix (once axes of size one are set aside) as a blocked copy writing whole output rows.
 *   tfjs-backend-wasm 4.22's loop reads or writes with the stride of a row and slows to a crawl on
 *   row lengths that are multiples of 256 floats: 28 ms for a [3072, 768] matrix (ViT-B/32's
 *   `c_fc` weight) where this takes 4 ms. The frozen weights of a model trained with
 *   `keepTransposed` off are transposed in every forward pass.
 * - rank 5 and above with the last axis in place, as copies of whole last-axis runs: the backend
 *   walks every element through its general loop, 47 ms for ViT-B/32's patch split of a batch of
 *   8 images ([8, 3, 7, 32, 7, 32] to [8, 7, 7, 3, 32, 32]) where this takes about 2 ms.
 * Other transposes, small ones and non-float32 go to `original`.
 */
export function transposeKernel(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { perm } = args.attrs as unknown as TransposeAttributes;
    if (x.dtype !== 'float32' || tf.util.sizeFromShape(x.shape) < MIN_ELEMENTS) return original(args);
    const copy = runsCopy(x.shape, perm) ?? matrixCopy(x.shape, perm);
    if (!copy) return original(args);
    const backend = wasmInternals(args.backend);
    const out = backend.makeOutput(perm.map((axis) => x.shape[axis] as number), 'float32');
    copy(backend.typedArrayFromHeap(x) as Float32Array, backend.typedArrayFromHeap(out) as Float32Array);
    return out;
  };
}

type Copy = (source: Float32Array, target: Float32Array) => void;

/** The matrix case: a blocked copy writing whole output rows, or undefined when `perm` is not a matrix transpose. */
function matrixCopy(shape: readonly number[], perm: readonly number[]): Copy | undefined {
  // The axes that are not of size one, in input order, and where the permutation sends them.
  const kept = shape.map((extent, axis) => ({ extent, axis })).filter(({ extent }) => extent !== 1);
  const order = perm.filter((axis) => shape[axis] !== 1);
  if (kept.length !== 2 || order[0] !== kept[1]?.axis) return undefined;
  const rows = (kept[0] as { extent: number }).extent;
  const columns = (kept[1] as { extent: number }).extent;
  return (source, target) => {
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
  };
}

/** The runs case: one copy per run of the last axis, in output order; undefined unless the last axis stays last at rank 5 and above. */
function runsCopy(shape: readonly number[], perm: readonly number[]): Copy | undefined {
  const rank = shape.length;
  const run = shape[rank - 1] as number;
  if (rank < MIN_RUNS_RANK || perm[rank - 1] !== rank - 1 || run < MIN_RUN) return undefined;
  const inputStrides = shape.map((_, axis) => shape.slice(axis + 1).reduce((a, b) => a * b, 1));
  // Over the output's axes but the last: their extents and the input stride each one steps.
  const extents = perm.slice(0, -1).map((axis) => shape[axis] as number);
  const steps = perm.slice(0, -1).map((axis) => inputStrides[axis] as number);
  return (source, target) => {
    const index = new Array<number>(rank - 1).fill(0);
    let read = 0;
    for (let write = 0; write < target.length; write += run) {
      for (let i = 0; i < run; i++) target[write + i] = source[read + i] as number;
      for (let axis = rank - 2; axis >= 0; axis--) {
        read += steps[axis] as number;
        const position = (index[axis] as number) + 1;
        if (position < (extents[axis] as number)) {
          index[axis] = position;
          break;
        }
        read -= (steps[axis] as number) * (extents[axis] as number);
        index[axis] = 0;
      }
    }
  };
}
