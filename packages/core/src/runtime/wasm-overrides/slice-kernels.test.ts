import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../init-backend';

/** Values 0, 1, 2, ... laid out in `shape`, so every element names its own flat index. */
function iota(shape: number[], dtype: 'float32' | 'int32' = 'float32'): tf.Tensor {
  const count = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Array.from({ length: count }, (_, i) => i), shape, dtype);
}

/** The flat indices a slice of an iota tensor must hold, by plain index arithmetic. */
function expectedSlice(shape: number[], begin: number[], size: number[]): number[] {
  const extent = size.map((s, axis) => (s === -1 ? (shape[axis] as number) - (begin[axis] as number) : s));
  const strides = shape.map((_, axis) => shape.slice(axis + 1).reduce((a, b) => a * b, 1));
  const out: number[] = [];
  const visit = (axis: number, offset: number): void => {
    if (axis === shape.length) {
      out.push(offset);
      return;
    }
    for (let i = 0; i < (extent[axis] as number); i++) visit(axis + 1, offset + ((begin[axis] as number) + i) * (strides[axis] as number));
  };
  visit(0, 0);
  return out;
}

const CASES: Array<{ shape: number[]; begin: number[]; size: number[] }> = [
  { shape: [10], begin: [3], size: [4] },
  { shape: [4, 6], begin: [1, 0], size: [2, 6] }, // contiguous rows
  { shape: [4, 6], begin: [1, 2], size: [3, 3] },
  { shape: [2, 5, 7], begin: [0, 1, 2], size: [2, 3, -1] },
  { shape: [3, 4, 5, 6], begin: [1, 0, 2, 1], size: [2, 4, 2, 4] },
  { shape: [2, 3, 2, 3, 4], begin: [1, 1, 0, 1, 1], size: [1, 2, 2, 2, 2] },
  { shape: [3, 4], begin: [1, 1], size: [0, 2] },
];

describe('wasm Slice and SplitV kernels', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('slices every rank, contiguous or not, to the values plain index arithmetic gives', () => {
    for (const { shape, begin, size } of CASES) {
      for (const dtype of ['float32', 'int32'] as const) {
        const x = iota(shape, dtype);
        const y = tf.slice(x, begin, size);
        expect(y.dtype).toBe(dtype);
        expect(Array.from(y.dataSync()), `${dtype} [${shape}] at [${begin}] size [${size}]`).toEqual(expectedSlice(shape, begin, size));
        tf.dispose([x, y]);
      }
    }
  });

  it('splits into equal parts and into given sizes along any axis', () => {
    const shape = [2, 6, 3];
    const x = iota(shape);
    const thirds = tf.split(x, 3, 1);
    thirds.forEach((part, i) => expect(Array.from(part.dataSync())).toEqual(expectedSlice(shape, [0, 2 * i, 0], [2, 2, 3])));
    const sized = tf.split(x, [1, 2], 2);
    expect(Array.from((sized[0] as tf.Tensor).dataSync())).toEqual(expectedSlice(shape, [0, 0, 0], [2, 6, 1]));
    expect(Array.from((sized[1] as tf.Tensor).dataSync())).toEqual(expectedSlice(shape, [0, 0, 1], [2, 6, 2]));
    tf.dispose([x, ...thirds, ...sized]);
  });

  it('keeps the gradients of slice and split', () => {
    const x = iota([3, 4]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.slice(t, [1, 1], [2, 2]), 2)))(x);
    expect(Array.from(g.dataSync())).toEqual([0, 0, 0, 0, 0, 2, 2, 0, 0, 2, 2, 0]);
    const h = tf.grad((t: tf.Tensor) => {
      const [a, b] = tf.split(t, 2, 1) as [tf.Tensor, tf.Tensor];
      return tf.sum(tf.sub(a, tf.mul(b, 3)));
    })(x);
    expect(Array.from(h.dataSync())).toEqual([1, 1, -3, -3, 1, 1, -3, -3, 1, 1, -3, -3]);
    tf.dispose([x, g, h]);
  });

  it('reads the heap after allocating the output, so a slice that grows the heap is still right', () => {
    // A 64 MiB input followed by a slice whose output needs fresh heap pages.
    const x = tf.fill([4096, 4096], 1.5);
    const before = tf.memory().numDataBuffers;
    const y = tf.slice(x, [17, 0], [4000, 4096]);
    expect(tf.memory().numDataBuffers - before).toBe(1);
    const values = y.dataSync();
    expect(values[0]).toBe(1.5);
    expect(values[values.length - 1]).toBe(1.5);
    tf.dispose([x, y]);
  });
});
