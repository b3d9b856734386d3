import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { expectAllClose } from '../../testing/close';
import { SeededRandom } from '../../random/seeded-random';
import { useBackend } from '../init-backend';
import { activeProductEngine, chooseProductEngine, PRODUCT_ENGINES } from '../product-engine';

/** Row-major sum over `axes` of `values` [shape], in double precision, the reduced axes dropped. */
function naiveSum(values: Float32Array, shape: number[], axes: number[]): Float64Array {
  const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const outShape = kept.map((i) => shape[i] as number);
  const out = new Float64Array(outShape.reduce((a, b) => a * b, 1));
  const index = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < values.length; flat++) {
    let rest = flat;
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      index[axis] = rest % (shape[axis] as number);
      rest = Math.floor(rest / (shape[axis] as number));
    }
    let target = 0;
    for (const axis of kept) target = target * (shape[axis] as number) + (index[axis] as number);
    out[target]! += values[flat] as number;
  }
  return out;
}

describe.each(PRODUCT_ENGINES)('wasm Sum kernel with products on %s', (engine) => {
  const rng = new SeededRandom('sum-kernel');
  beforeAll(async () => {
    await useBackend('wasm', { products: engine });
    expect(activeProductEngine()?.engine).toBe(engine);
  });

  it.each([
    // BatchNorm statistics (channels last), a bias gradient, a row sum, everything, a middle axis, a negative axis;
    // large enough for ONNX Runtime (MIN_ONNXRUNTIME_SUM_SIZE), and one small one for the wasm kernel.
    { shape: [3, 50, 40, 12], axis: [1, 2] },
    { shape: [700, 96], axis: [0] },
    { shape: [400, 170], axis: [1] },
    { shape: [20, 60, 60], axis: [0, 1, 2] },
    { shape: [20, 500, 7], axis: [1] },
    { shape: [20, 500, 7], axis: [-1] },
    { shape: [7, 9], axis: [0] },
  ])('sums $shape over $axis as the definition, with and without keepDims', ({ shape, axis }) => {
    const values = rng.fillNormal(shape.reduce((a, b) => a * b, 1), 1, 3);
    const axes = axis.map((a) => (a < 0 ? a + shape.length : a));
    const expected = naiveSum(values, shape, axes);
    const x = tf.tensor(values, shape);
    const sum = tf.sum(x, axis);
    expect(sum.shape).toEqual(shape.filter((_, i) => !axes.includes(i)));
    expectAllClose(sum, expected, { atol: 1e-4, rtol: 1e-5 });
    const kept = tf.sum(x, axis, true);
    expect(kept.shape).toEqual(shape.map((size, i) => (axes.includes(i) ? 1 : size)));
    expectAllClose(kept, expected, { atol: 1e-4, rtol: 1e-5 });
    tf.dispose([x, sum, kept]);
  });

  it('leaves integer sums to the wasm backend\'s kernel, exact', () => {
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32');
    const sum = tf.sum(x, 0);
    expect(sum.dtype).toBe('int32');
    expect(Array.from(sum.dataSync())).toEqual([5, 7, 9]);
    tf.dispose([x, sum]);
  });
});

describe('wasm Sum on ONNX Runtime', () => {
  it('runs large float32 sums on ONNX Runtime, integer and small ones not', async () => {
    await useBackend('wasm', { products: 'onnxruntime' });
    const reduceSum = vi.spyOn(chooseProductEngine({ products: 'onnxruntime' }).products!, 'reduceSum');
    tf.dispose(tf.sum(tf.ones([64, 32, 32]), [0, 1]));
    expect(reduceSum).toHaveBeenCalledTimes(1);
    tf.dispose(tf.sum(tf.ones([64, 32, 32], 'int32'), 0));
    tf.dispose(tf.sum(tf.ones([4, 3, 2]), [0, 1]));
    expect(reduceSum).toHaveBeenCalledTimes(1);
    reduceSum.mockRestore();
  });
});
