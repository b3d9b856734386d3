import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { customGradient } from '../nn/custom-gradient';
import { residualAdd } from '../nn/residual-add';
import { SeededRandom } from '../random/seeded-random';
import { useBackend } from '../runtime/init-backend';
import { PORTABLE_RUNTIMES } from '../testing/backends';
import { expectAllClose } from '../testing/close';
import { linear } from '../nn/linear';
import { packedSelfAttention } from '../nn/packed-self-attention';
import { causalMask } from '../nn/multihead-attention';
import { Parameter } from './parameter';
import { savedForBackward, tapeGradients } from './tape-backprop';

describe.each(PORTABLE_RUNTIMES)('tapeGradients on $label', ({ backend, products }) => {
  const rng = new SeededRandom('tape-backprop');
  const normal = (shape: number[]): tf.Tensor => tf.tensor(rng.fillNormal(shape.reduce((a, b) => a * b, 1)), shape);
  beforeAll(async () => {
    await useBackend(backend, { products });
  });

  it('gives tf.grads’s gradients: broadcasting, a reused input, pass-through gradients, an unused x', () => {
    const a = normal([3, 4]);
    const b = normal([4]);
    const c = normal([4, 2]);
    const unused = normal([2]);
    const f = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor): tf.Tensor => {
      const h = tf.tanh(tf.add(x, y)); // broadcast add
      const r = residualAdd(h, tf.mul(x, h)); // custom op handing dy through; x used twice
      return tf.sum(tf.square(tf.matMul(tf.concat([r, tf.clone(r)], 0), z)));
    };
    const expected = tf.grads((x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) => f(x, y, z))([a, b, c]);
    const reference = tf.tidy(() => f(a, b, c));
    const before = tf.memory().numTensors;
    const { value, grads } = tapeGradients(() => f(a, b, c), [a, b, c, unused]);
    expect(grads[3]).toBeUndefined();
    grads.slice(0, 3).forEach((g, i) => expectAllClose(g as tf.Tensor, (expected[i] as tf.Tensor).dataSync(), { atol: 1e-5, rtol: 1e-5 }, `input ${i}`));
    expect(value.dataSync()[0]).toBeCloseTo(reference.dataSync()[0] as number, 4);
    tf.dispose([value, ...grads.filter((g): g is tf.Tensor => g !== undefined)]);
    expect(tf.memory().numTensors).toBe(before);
    expect((tf.engine() as unknown as { state: { activeTape: unknown } }).state.activeTape).toBeNull();
  });

  it('differentiates variables, and works nested inside another gradient computation', () => {
    const w = tf.variable(normal([3]));
    const x = normal([3]);
    const outer = tapeGradients(() => {
      // An inner gradient on a detached copy, as the trainer's coordinator computes the objective's.
      const copy = tf.tensor(w.dataSync(), [3]);
      const inner = tapeGradients(() => tf.sum(tf.pow(copy, 3)), [copy]);
      const dCopy = inner.grads[0] as tf.Tensor; // 3·copy²
      return tf.sum(tf.mul(tf.mul(w, x), dCopy));
    }, [w]);
    const expected = tf.mul(x, tf.mul(3, tf.square(w)));
    expectAllClose(outer.grads[0] as tf.Tensor, expected.dataSync(), { atol: 1e-5 });
    tf.dispose([outer.value, outer.grads[0] as tf.Tensor, expected, w]);
  });

  it('frees as it goes: a deep chain’s backward pass holds its saved tensors, not every intermediate gradient too', () => {
    const x = normal([64, 64]);
    const probe = (depth: number, differentiate: (g: (input: tf.Tensor) => tf.Tensor) => void): number => {
      let peak = 0;
      // Identity op that reports the live bytes when the backward pass reaches it.
      const watch = customGradient<[tf.Tensor]>((t) => ({
        value: tf.clone(t),
        gradFunc: (dy) => {
          peak = Math.max(peak, tf.memory().numBytes);
          return dy;
        },
      }));
      const start = tf.memory().numBytes;
      differentiate((input) => {
        let h = input;
        for (let i = 0; i < depth; i++) h = watch(tf.sin(tf.mul(h, 1.01)));
        return tf.sum(h);
      });
      return peak - start;
    };
    const lean = (g: (input: tf.Tensor) => tf.Tensor): void => {
      const { value, grads } = tapeGradients(() => g(x), [x]);
      tf.dispose([value, ...grads.filter((t): t is tf.Tensor => t !== undefined)]);
    };
    const tfjs = (g: (input: tf.Tensor) => tf.Tensor): void => tf.dispose(tf.grad(g)(x));
    // Each layer saves two 16 KiB tensors (mul's and sin's inputs) and makes three gradients of that
    // size. tfjs holds all of them when it finishes; here the peak is the saved ones, at the start.
    const layer = 64 * 64 * 4;
    const depth = 40;
    const leanPeak = probe(depth, lean);
    expect(leanPeak).toBeLessThan(2.5 * layer * depth);
    expect(leanPeak).toBeLessThan(0.65 * probe(depth, tfjs));
  });
  it('does not record a frozen prefix: what it saves is freed as soon as it has run, and the gradients are unchanged', () => {
    const [batch, tokens, width, heads] = [2, 5, 12, 3];
    const packed = normal([batch, tokens, 3 * width]);
    const x = normal([batch, tokens, width]);
    let held = -1;
    const { value, grads } = tapeGradients(() => {
      const before = tf.memory().numTensors;
      const prefix = packedSelfAttention(packed, heads);
      held = tf.memory().numTensors - before;
      return tf.sum(tf.mul(prefix, x));
    }, [x]);
    // Recorded, the attention would also hold its q, kᵀ and v until the forward pass ended.
    expect(held).toBe(1);
    const expected = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(packedSelfAttention(packed, heads), input)))(x);
    expectAllClose(grads[0] as tf.Tensor, expected.dataSync(), { atol: 1e-6, rtol: 1e-6 }, 'd/dx');
    tf.dispose([value, ...grads.filter((g): g is tf.Tensor => g !== undefined), expected, packed, x]);
  });

  it('savedForBackward counts what the backward pass will read and what is freed before it, and frees everything', () => {
    const [batch, tokens, width, heads] = [2, 5, 12, 3];
    const packed = normal([batch, tokens, 3 * width]);
    const mask = causalMask(tokens);
    const x = normal([batch, tokens, width]);
    const frozen = new Parameter(normal([4, width]), { trainable: false });
    const trainable = new Parameter(normal([4, width]));
    frozen.transposedMatrix(); // XNNPACK's cached copy, made here rather than inside the count
    const before = tf.memory().numTensors;
    // Attention keeps q, kᵀ and v ([batch, heads, tokens, width / heads] each), not its weights; and the mask when given.
    const attention = 3 * batch * tokens * width * 4;
    expect(savedForBackward(() => packedSelfAttention(packed, heads), [packed])).toEqual({ bytes: attention, tensors: 3, freedBeforeBackward: 0 });
    expect(savedForBackward(() => packedSelfAttention(packed, heads, mask), [packed])).toEqual({ bytes: attention + tokens * tokens * 4, tensors: 4, freedBeforeBackward: 0 });
    // Not derived from x: the attention is not recorded at all, its tensors freed as soon as it has run.
    expect(savedForBackward(() => residualAdd(packedSelfAttention(packed, heads), x), [x])).toEqual({ bytes: 0, tensors: 0, freedBeforeBackward: 0 });
    // Derived from x but not reaching y: recorded, and freed before the backward pass.
    const deadEnd = (): tf.Tensor => {
      linear(x, trainable);
      return residualAdd(x, x);
    };
    expect(savedForBackward(deadEnd, [x])).toEqual({ bytes: 0, tensors: 0, freedBeforeBackward: x.size * 4 });
    // A frozen linear layer keeps nothing; a trainable one its flattened input.
    expect(savedForBackward(() => linear(x, frozen), [x]).bytes).toBe(0);
    expect(savedForBackward(() => linear(x, trainable), [x, trainable.value]).bytes).toBe(batch * tokens * width * 4);
    expect(tf.memory().numTensors).toBe(before);
    expect((tf.engine() as unknown as { state: { activeTape: unknown } }).state.activeTape).toBeNull();
    tf.dispose([packed, mask, x]);
    frozen.dispose();
    trainable.dispose();
  });
});
