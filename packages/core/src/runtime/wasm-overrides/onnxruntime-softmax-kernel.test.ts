import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { expectAllClose } from '../../testing/close';
import { SeededRandom } from '../../random/seeded-random';
import { useBackend } from '../init-backend';
import { activeProductEngine, chooseProductEngine, PRODUCT_ENGINES } from '../product-engine';

/** Softmax over the last axis of rows of `width`, in double precision (max subtracted). */
function naiveSoftmax(values: ArrayLike<number>, width: number): Float64Array {
  const out = new Float64Array(values.length);
  for (let start = 0; start < values.length; start += width) {
    let max = -Infinity;
    for (let i = 0; i < width; i++) max = Math.max(max, values[start + i] as number);
    let sum = 0;
    for (let i = 0; i < width; i++) sum += Math.exp((values[start + i] as number) - max);
    for (let i = 0; i < width; i++) out[start + i] = Math.exp((values[start + i] as number) - max) / sum;
  }
  return out;
}

describe.each(PRODUCT_ENGINES)('wasm Softmax kernel with products on %s', (engine) => {
  const rng = new SeededRandom('softmax-kernel');
  beforeAll(async () => {
    await useBackend('wasm', { products: engine });
    expect(activeProductEngine()?.engine).toBe(engine);
  });

  it('gives the definition on attention-shaped logits, large ones and a causal mask of −∞ included', () => {
    const [batch, heads, tokens] = [2, 3, 7];
    const values = rng.fillNormal(batch * heads * tokens * tokens, 0, 4);
    values[5] = 80; // exp(80) overflows float32 unless the maximum is subtracted
    for (let q = 0; q < tokens; q++) for (let k = q + 1; k < tokens; k++) values[tokens * tokens + q * tokens + k] = -Infinity;
    const logits = tf.tensor4d(values, [batch, heads, tokens, tokens]);
    const y = tf.softmax(logits);
    expectAllClose(y, naiveSoftmax(values, tokens), { atol: 1e-6 });
    tf.dispose([logits, y]);
  });

  it('differentiates as y·(dy − Σ dy·y)', () => {
    const values = rng.fillNormal(4 * 6);
    const upstream = rng.fillNormal(4 * 6);
    const x = tf.tensor2d(values, [4, 6]);
    const dy = tf.tensor2d(upstream, [4, 6]);
    const gradient = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.softmax(input), dy)))(x);
    const y = naiveSoftmax(values, 6);
    const expected = Array.from(y, (p, i) => {
      const row = Math.floor(i / 6) * 6;
      let dot = 0;
      for (let j = 0; j < 6; j++) dot += (upstream[row + j] as number) * (y[row + j] as number);
      return p * ((upstream[i] as number) - dot);
    });
    expectAllClose(gradient, expected, { atol: 1e-6 });
    tf.dispose([x, dy, gradient]);
  });
});

describe('wasm Softmax on ONNX Runtime', () => {
  it('runs on ONNX Runtime', async () => {
    await useBackend('wasm', { products: 'onnxruntime' });
    const runFused = vi.spyOn(chooseProductEngine({ products: 'onnxruntime' }).products!, 'runFused');
    tf.dispose(tf.softmax(tf.ones([2, 5])));
    expect(runFused.mock.calls.map(([key]) => key)).toEqual(['Softmax']);
    runFused.mockRestore();
  });
});
