import * as tf from '@tensorflow/tfjs-core';

interface BatchMatMulAttributes {
  transposeA: boolean;
  transposeB: boolean;
}

/** A float32 `BatchMatMul` call read off its arguments: op(a) [..., m, k] · op(b) [..., k, n]. */
export interface ProductShape extends BatchMatMulAttributes {
  a: tf.TensorInfo;
  b: tf.TensorInfo;
  m: number;
  k: number;
  n: number;
  /** Batch dimensions of each operand and of the output (NumPy broadcasting). */
  aOuter: number[];
  bOuter: number[];
  outer: number[];
}

/**
 * The shape of a `BatchMatMul` kernel call, or undefined where the fast kernels do not apply
 * (not float32 on both sides, a rank below 2, mismatched or empty products) and the original
 * kernel should run.
 */
export function productShape(args: Parameters<tf.KernelFunc>[0]): ProductShape | undefined {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = args.attrs as unknown as BatchMatMulAttributes;
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return undefined;
  const [aRows, aColumns] = a.shape.slice(-2) as [number, number];
  const [bRows, bColumns] = b.shape.slice(-2) as [number, number];
  const m = transposeA ? aColumns : aRows;
  const k = transposeA ? aRows : aColumns;
  const n = transposeB ? bRows : bColumns;
  if ((transposeB ? bColumns : bRows) !== k || m * n * k === 0) return undefined;
  const aOuter = a.shape.slice(0, -2);
  const bOuter = b.shape.slice(0, -2);
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(aOuter, bOuter);
  if (tf.util.sizeFromShape(outer) === 0) return undefined;
  return { a, b, transposeA, transposeB, m, k, n, aOuter, bOuter, outer };
}
