import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../init-backend';

/** Row-major values of the permuted iota tensor of `shape`, by index arithmetic. */
function expectedTranspose(shape: number[], perm: number[]): number[] {
  const strides = shape.map((_, axis) => shape.slice(axis + 1).reduce((a, b) => a * b, 1));
  const outShape = perm.map((axis) => shape[axis] as number);
  const out: number[] = [];
  const visit = (axis: number, offset: number): void => {
    if (axis === outShape.length) {
      out.push(offset);
      return;
    }
    for (let i = 0; i < (outShape[axis] as number); i++) visit(axis + 1, offset + i * (strides[perm[axis] as number] as number));
  };
  visit(0, 0);
  return out;
}

describe('wasm Transpose kernel', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it.each([
    { shape: [300, 701], perm: [1, 0] },
    { shape: [768, 96], perm: [1, 0] },
    { shape: [1, 257, 1, 300], perm: [3, 1, 0, 2] },
    { shape: [257, 1, 300], perm: [1, 2, 0] },
    { shape: [40, 30, 60], perm: [0, 2, 1] },
    { shape: [12, 10], perm: [1, 0] },
    // Runs of the last axis (rank 5 and up, 65,536 values and more, as the override takes them):
    // ViT-B/32's patch split of two images, a size-one axis moved, the other axes reversed.
    { shape: [2, 3, 7, 32, 7, 32], perm: [0, 2, 4, 1, 3, 5] },
    { shape: [8, 1, 20, 16, 32], perm: [2, 0, 3, 1, 4] },
    { shape: [4, 3, 4, 5, 8, 40], perm: [4, 3, 2, 1, 0, 5] },
  ])('transposes $shape by $perm like index arithmetic says', ({ shape, perm }) => {
    const count = shape.reduce((a, b) => a * b, 1);
    const x = tf.tensor(Float32Array.from({ length: count }, (_, i) => i), shape);
    const y = tf.transpose(x, perm);
    expect(y.shape).toEqual(perm.map((axis) => shape[axis]));
    expect(Array.from(y.dataSync())).toEqual(expectedTranspose(shape, perm));
    tf.dispose([x, y]);
  });
});
