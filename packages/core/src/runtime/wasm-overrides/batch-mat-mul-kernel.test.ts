import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectAllClose } from '../../testing/close';
import { SeededRandom } from '../../random/seeded-random';
import { useBackend } from '../init-backend';
import { activeProductEngine, PRODUCT_ENGINES } from '../product-engine';

/** Plain double-precision batched product of row-major arrays: a [batch, m, k] · b [batch, k, n]; a batch of 1 broadcasts. */
function naiveBatchedProduct(a: Float32Array, b: Float32Array, shapes: { batchA: number; batchB: number; m: number; k: number; n: number }): Float64Array {
  const { batchA, batchB, m, k, n } = shapes;
  const batch = Math.max(batchA, batchB);
  const out = new Float64Array(batch * m * n);
  for (let i = 0; i < batch; i++) {
    const ai = batchA === 1 ? 0 : i;
    const bi = batchB === 1 ? 0 : i;
    for (let r = 0; r < m; r++) {
      for (let c = 0; c < n; c++) {
        let sum = 0;
        for (let j = 0; j < k; j++) sum += (a[(ai * m + r) * k + j] as number) * (b[(bi * k + j) * n + c] as number);
        out[(i * m + r) * n + c] = sum;
      }
    }
  }
  return out;
}

/** Row-major values of the last-two-axes transpose of `values` laid out as [batch, rows, columns]. */
function transposeLastTwo(values: Float32Array, batch: number, rows: number, columns: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < batch; i++) {
    for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) out[(i * columns + c) * rows + r] = values[(i * rows + r) * columns + c] as number;
  }
  return out;
}

// Both engines: ONNX Runtime where onnxruntime-node loads (forced, so its absence fails), XNNPACK always.
describe.each(PRODUCT_ENGINES)('wasm BatchMatMul kernel on %s', (engine) => {
  const rng = new SeededRandom('batch-mat-mul');
  beforeAll(async () => {
    await useBackend('wasm', { products: engine });
    expect(activeProductEngine()?.engine).toBe(engine);
  });

  it.each([
    { outerA: [6], outerB: [6], m: 5, k: 7, n: 3 },
    { outerA: [2, 3], outerB: [2, 3], m: 50, k: 64, n: 50 },
    { outerA: [1], outerB: [4], m: 3, k: 5, n: 2 },
    { outerA: [4], outerB: [], m: 3, k: 5, n: 2 },
    { outerA: [], outerB: [], m: 9, k: 4, n: 6 },
  ])('multiplies outer $outerA × $outerB of $m×$k·$k×$n under every transpose flag', ({ outerA, outerB, m, k, n }) => {
    const batchA = outerA.reduce((x, y) => x * y, 1);
    const batchB = outerB.reduce((x, y) => x * y, 1);
    const a = rng.fillNormal(batchA * m * k);
    const b = rng.fillNormal(batchB * k * n);
    const expected = naiveBatchedProduct(a, b, { batchA, batchB, m, k, n });
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        const aTensor = transposeA ? tf.tensor(transposeLastTwo(a, batchA, m, k), [...outerA, k, m]) : tf.tensor(a, [...outerA, m, k]);
        const bTensor = transposeB ? tf.tensor(transposeLastTwo(b, batchB, k, n), [...outerB, n, k]) : tf.tensor(b, [...outerB, k, n]);
        const product = tf.matMul(aTensor, bTensor, transposeA, transposeB);
        const outer = batchA >= batchB ? outerA : outerB;
        expect(product.shape).toEqual([...outer, m, n]);
        expectAllClose(product, expected, { atol: 1e-5, rtol: 1e-5 }, `transposeA ${transposeA}, transposeB ${transposeB}`);
        tf.dispose([aTensor, bTensor, product]);
      }
    }
  });

  it('broadcasts outer dimensions of both operands as NumPy does', () => {
    const a = tf.tensor(rng.fillNormal(2 * 3 * 4), [2, 1, 3, 4]);
    const b = tf.tensor(rng.fillNormal(3 * 4 * 2), [1, 3, 4, 2]);
    const product = tf.matMul(a, b);
    expect(product.shape).toEqual([2, 3, 3, 2]);
    const expected = tf.tidy(() => tf.sum(tf.mul(tf.expandDims(a, -1), tf.expandDims(b, 2)), 3));
    expectAllClose(product, expected.dataSync(), { atol: 1e-5 });
    tf.dispose([a, b, product, expected]);
  });

  it('differentiates batched products (both flags on the way back) as the plain formulas say', () => {
    const a = tf.tensor(rng.fillNormal(4 * 3 * 5), [4, 3, 5]);
    const b = tf.tensor(rng.fillNormal(4 * 5 * 2), [4, 5, 2]);
    const weights = tf.tensor(rng.fillNormal(4 * 3 * 2), [4, 3, 2]);
    const [da, db] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y), weights)))([a, b]) as [tf.Tensor, tf.Tensor];
    // d/da Σ w ⊙ (a·b) = w·bᵀ and d/db = aᵀ·w, by plain loops.
    const w = weights.dataSync() as Float32Array;
    const bT = transposeLastTwo(b.dataSync() as Float32Array, 4, 5, 2);
    const aT = transposeLastTwo(a.dataSync() as Float32Array, 4, 3, 5);
    expectAllClose(da, naiveBatchedProduct(w, bT, { batchA: 4, batchB: 4, m: 3, k: 2, n: 5 }), { atol: 1e-5 });
    expectAllClose(db, naiveBatchedProduct(aT, w, { batchA: 4, batchB: 4, m: 5, k: 3, n: 2 }), { atol: 1e-5 });
    tf.dispose([a, b, weights, da, db]);
  });

  it('reads and writes the heap after it grows between products', () => {
    const a = tf.tensor(rng.fillNormal(3 * 4), [3, 4]);
    const b = tf.tensor(rng.fillNormal(5 * 4), [5, 4]);
    const before = tf.matMul(a, b, false, true);
    const heapBytes = (): number => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.byteLength;
    const heapBefore = heapBytes();
    // More than the heap holds now: the wasm memory grows and older heap views detach.
    const large = tf.zeros([heapBefore / 4 + 2 ** 20]);
    expect(heapBytes()).toBeGreaterThan(heapBefore);
    const after = tf.matMul(a, b, false, true);
    expectAllClose(after, before.dataSync(), { atol: 0 });
    tf.dispose([a, b, before, large, after]);
  });

  it('leaves no tensors behind', () => {
    const a = tf.randomNormal([8, 10, 6]);
    const b = tf.randomNormal([8, 10, 6]);
    tf.dispose(tf.matMul(a, b, false, true));
    const before = tf.memory();
    for (let i = 0; i < 5; i++) tf.dispose([tf.matMul(a, b, false, true), tf.matMul(a, b, true, false)]);
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
    expect(tf.memory().numTensors).toBe(before.numTensors);
    tf.dispose([a, b]);
  });
});
