import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../init-backend';
import { installWasmKernelOverrides } from './install-wasm-overrides';

describe('installWasmKernelOverrides', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('installs once however often the backend is activated, and strings still slice', async () => {
    const kernel = tf.getKernel('Slice', 'wasm')?.kernelFunc;
    installWasmKernelOverrides();
    await useBackend('wasm');
    expect(tf.getKernel('Slice', 'wasm')?.kernelFunc).toBe(kernel);
    const words = tf.tensor1d(['a', 'b', 'c', 'd'], 'string');
    const part = tf.slice(words, [1], [2]);
    expect(part.arraySync()).toEqual(['b', 'c']);
    tf.dispose([words, part]);
  });

  it('clones without copying, and a clone outlives its source', () => {
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    // numBytes counts per tensor; numDataBuffers counts the backend's buffers.
    const before = tf.memory().numDataBuffers;
    const y = tf.clone(x);
    expect(tf.memory().numDataBuffers).toBe(before);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    y.dispose();
    expect(tf.memory().numDataBuffers).toBe(before - 1);
  });

  it('keeps saved tensors valid through tf.grad while the forward intermediates are freed', () => {
    const w = tf.variable(tf.tensor2d([0.5, -1, 2, 0.25], [2, 2]));
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const g = tf.grad((input: tf.Tensor) => tf.sum(tf.square(tf.matMul(tf.sigmoid(input), w))))(x);
    // d/dx Σ (σ(x)·w)² = (2·(σ(x)·w)·wᵀ) ⊙ σ'(x), by hand on the host.
    const s = [1, 2, 3, 4].map((v) => 1 / (1 + Math.exp(-v)));
    const y = [s[0]! * 0.5 + s[1]! * 2, s[0]! * -1 + s[1]! * 0.25, s[2]! * 0.5 + s[3]! * 2, s[2]! * -1 + s[3]! * 0.25];
    const expected = [
      2 * (y[0]! * 0.5 + y[1]! * -1) * s[0]! * (1 - s[0]!),
      2 * (y[0]! * 2 + y[1]! * 0.25) * s[1]! * (1 - s[1]!),
      2 * (y[2]! * 0.5 + y[3]! * -1) * s[2]! * (1 - s[2]!),
      2 * (y[2]! * 2 + y[3]! * 0.25) * s[3]! * (1 - s[3]!),
    ];
    Array.from(g.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
    tf.dispose([w, x, g]);
  });

});
