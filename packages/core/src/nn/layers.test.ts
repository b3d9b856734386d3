import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../runtime/init-backend';
import { SeededRandom } from '../random/seeded-random';
import { expectAllClose } from '../testing/close';
import { naiveLinear, naiveSelfAttention } from '../testing/naive';
import { PORTABLE_BACKENDS } from '../testing/backends';
import { Linear } from './linear';
import { LayerNorm } from './layer-norm';
import { MultiheadAttention, causalMask } from './multihead-attention';
import { Embedding } from './embedding';
import { valueAndGradients } from '../module/gradients';
import { Module } from '../module/module';

describe.each(PORTABLE_BACKENDS)('layers on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('Linear computes x·Wᵀ + b with weight [out, in] (hand-computed)', () => {
    const layer = new Linear(3, 2);
    layer.weight.assign(tf.tensor2d([[1, 2, 3], [-1, 0, 1]]));
    layer.bias?.assign(tf.tensor1d([0.5, -0.5]));
    const y = layer.forward(tf.tensor2d([[1, 1, 1], [2, 0, -1]]));
    // [1+2+3+0.5, -1+0+1-0.5] and [2+0-3+0.5, -2+0-1-0.5]
    expect(Array.from(y.dataSync())).toEqual([6.5, -0.5, -0.5, -3.5]);
    const batched = layer.forward(tf.tensor3d([[[1, 1, 1]], [[2, 0, -1]]]));
    expect(batched.shape).toEqual([2, 1, 2]);
    expect(Array.from(batched.dataSync())).toEqual([6.5, -0.5, -0.5, -3.5]);
    expect(() => layer.forward(tf.zeros([2, 4]))).toThrow(/4 features/);
  });

  it('Linear initialises like PyTorch: U(−1/√in, 1/√in), same values for the same seed', () => {
    const a = new Linear(16, 8, { rng: new SeededRandom(7) });
    const b = new Linear(16, 8, { rng: new SeededRandom(7) });
    const values = a.weight.value.dataSync();
    expect(Math.max(...Array.from(values, Math.abs))).toBeLessThanOrEqual(0.25);
    expect(Math.max(...Array.from(values, Math.abs))).toBeGreaterThan(0.2);
    expect(Array.from(values)).toEqual(Array.from(b.weight.value.dataSync()));
  });

  it('LayerNorm normalises the last axis with biased variance and eps 1e-5 (hand-computed)', () => {
    const norm = new LayerNorm(4);
    norm.weight.assign(tf.tensor1d([1, 2, 1, 1]));
    norm.bias.assign(tf.tensor1d([0, 0, 1, 0]));
    const y = norm.forward(tf.tensor2d([[1, 2, 3, 4]]));
    // mean 2.5, biased variance 1.25
    const s = 1 / Math.sqrt(1.25 + 1e-5);
    expectAllClose(y, [-1.5 * s, -0.5 * s * 2, 0.5 * s + 1, 1.5 * s], { atol: 1e-6 });
  });

  it('MultiheadAttention matches a double-precision reference, with and without a causal mask', () => {
    const rng = new SeededRandom(3);
    const [batch, tokens, width, heads] = [2, 5, 8, 2];
    const attention = new MultiheadAttention(width, heads, { rng });
    attention.inProjBias.assign(tf.tensor(rng.fillNormal(3 * width, 0, 0.1)));
    attention.outProj.bias?.assign(tf.tensor(rng.fillNormal(width, 0, 0.1)));
    const x = rng.fillNormal(batch * tokens * width);
    const reference = (causal: boolean): Float64Array =>
      naiveSelfAttention({
        x, batch, tokens, width, heads, causal,
        inProjWeight: attention.inProjWeight.value.dataSync(),
        inProjBias: attention.inProjBias.value.dataSync(),
        outWeight: attention.outProj.weight.value.dataSync(),
        outBias: attention.outProj.bias!.value.dataSync(),
      });
    const input = tf.tensor3d(x, [batch, tokens, width]);
    expectAllClose(attention.forward(input), reference(false), { atol: 1e-5 }, 'unmasked');
    expectAllClose(attention.forward(input, { mask: causalMask(tokens) }), reference(true), { atol: 1e-5 }, 'causal');
  });

  it('MultiheadAttention adds projection deltas to q, k and v', () => {
    const rng = new SeededRandom(4);
    const attention = new MultiheadAttention(4, 1, { rng });
    const x = tf.tensor3d(rng.fillNormal(12), [1, 3, 4]);
    const plain = attention.forward(x).dataSync();
    attention.projectionDelta = (input) => ({ v: tf.mul(input, 0) });
    expectAllClose(attention.forward(x), plain, { atol: 0 }, 'zero delta');
    attention.projectionDelta = (input) => ({ v: input });
    const shifted = attention.forward(x).dataSync();
    expect(Math.max(...Array.from(shifted, (v, i) => Math.abs(v - (plain[i] as number))))).toBeGreaterThan(1e-3);
  });

  it('Linear, LayerNorm and attention gradients match central finite differences', () => {
    const rng = new SeededRandom(5);
    const model = new Module();
    const norm = model.register('ln', new LayerNorm(6));
    const attention = model.register('attn', new MultiheadAttention(6, 2, { rng }));
    const head = model.register('head', new Linear(6, 1, { rng }));
    norm.weight.assign(tf.tensor(rng.fillNormal(6, 1, 0.2)));
    const x = tf.tensor3d(rng.fillNormal(2 * 3 * 6), [2, 3, 6]);
    const loss = (): tf.Scalar => tf.sum(tf.square(head.forward(attention.forward(norm.forward(x))))) as tf.Scalar;
    const { gradients } = valueAndGradients(loss, model.namedParameters());
    for (const name of ['ln.weight', 'attn.in_proj_weight', 'attn.out_proj.bias', 'head.weight']) {
      const parameter = model.parameter(name);
      const analytic = gradients.get(name)!.dataSync();
      const base = Float32Array.from(parameter.value.dataSync());
      for (const index of [0, Math.floor(base.length / 2), base.length - 1]) {
        const h = 1e-2;
        const probe = (delta: number): number => {
          const values = Float32Array.from(base);
          values[index] = (values[index] as number) + delta;
          parameter.assign(tf.tensor(values, parameter.shape));
          return loss().dataSync()[0] as number;
        };
        const numeric = (probe(h) - probe(-h)) / (2 * h);
        parameter.assign(tf.tensor(base, parameter.shape));
        expect(Math.abs(numeric - (analytic[index] as number))).toBeLessThan(2e-2 * Math.max(1, Math.abs(numeric)));
      }
    }
  });

  it('Embedding looks rows up and sums the gradient of repeated ids', () => {
    const embedding = new Embedding(4, 2);
    embedding.weight.assign(tf.tensor2d([[0, 1], [2, 3], [4, 5], [6, 7]]));
    const ids = tf.tensor2d([[1, 3], [1, 0]], [2, 2], 'int32');
    const rows = embedding.forward(ids);
    expect(rows.shape).toEqual([2, 2, 2]);
    expect(Array.from(rows.dataSync())).toEqual([2, 3, 6, 7, 2, 3, 0, 1]);
    const weights = tf.tensor3d([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]);
    const { gradients } = valueAndGradients(() => tf.sum(tf.mul(embedding.forward(ids), weights)) as tf.Scalar, [['weight', embedding.weight]]);
    // id 0 ← [7,8]; id 1 ← [1,2]+[5,6]; id 2 ← nothing; id 3 ← [3,4]
    expect(Array.from(gradients.get('weight')!.dataSync())).toEqual([7, 8, 6, 8, 0, 0, 3, 4]);
  });
});

describe('same seed, same parameters on every backend', () => {
  it('initialises identically on cpu and wasm', async () => {
    const values: Record<string, number[]> = {};
    for (const backend of PORTABLE_BACKENDS) {
      await useBackend(backend);
      const attention = new MultiheadAttention(8, 2, { rng: new SeededRandom('same') });
      values[backend] = Array.from(attention.inProjWeight.value.dataSync());
    }
    expect(values.wasm).toEqual(values.cpu);
  });

  it('computes the same linear layer on cpu and wasm to 1e-6', async () => {
    const outputs: number[][] = [];
    for (const backend of PORTABLE_BACKENDS) {
      await useBackend(backend);
      const rng = new SeededRandom(11);
      const layer = new Linear(32, 16, { rng });
      const x = rng.fillNormal(4 * 32);
      outputs.push(Array.from(layer.forward(tf.tensor2d(x, [4, 32])).dataSync()));
      expectAllClose(outputs.at(-1)!, naiveLinear(x, 4, layer.weight.value.dataSync(), 16, 32, layer.bias!.value.dataSync()), { atol: 1e-5 });
    }
    expectAllClose(outputs[0]!, outputs[1]!, { atol: 1e-6 });
  });
});
