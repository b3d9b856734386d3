import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom, normalTensor, useBackend, type Module } from '@harma/core';
import { PORTABLE_BACKENDS, expectAllClose, naiveLinear, naiveSelfAttention, referenceErf } from '@harma/core/testing';
import { BiShareAdapter } from './bishare-adapter';
import { MMadapter } from './mm-adapter';

const values = (module: Module, name: string): Float32Array => module.parameter(name).value.dataSync() as Float32Array;
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Give every parameter of a module random values (the zero-initialised up-projections too), so each term shows. */
function randomize(module: Module, rng: SeededRandom): void {
  for (const [, parameter] of module.namedParameters()) {
    const random = normalTensor(parameter.shape, rng, 0.3);
    parameter.assign(random);
    random.dispose();
  }
}

function naiveAttention(module: Module, prefix: string, x: ArrayLike<number>, batch: number, tokens: number, width: number, heads: number): Float64Array {
  return naiveSelfAttention({
    x,
    batch,
    tokens,
    width,
    heads,
    inProjWeight: values(module, `${prefix}.in_proj_weight`),
    inProjBias: values(module, `${prefix}.in_proj_bias`),
    outWeight: values(module, `${prefix}.out_proj.weight`),
    outBias: values(module, `${prefix}.out_proj.bias`),
  });
}

/** BiShare by the fixture README's formula, in double precision: y + l2(g·MHA1(h) + (1−g)·h), h = l1(y). */
function naiveBiShare(share: BiShareAdapter, y: Float64Array, batch: number, tokens: number, heads: number): Float64Array {
  const rows = batch * tokens;
  const half = share.bottleneck / 2;
  const h = naiveLinear(y, rows, values(share, 'l1.weight'), half, share.bottleneck, values(share, 'l1.bias'));
  const b = naiveAttention(share, 'multihead_attention1', h, batch, tokens, half, heads);
  const g = sigmoid(values(share, 'gate1')[0] as number);
  const mixed = h.map((hv, i) => g * (b[i] as number) + (1 - g) * hv);
  const up = naiveLinear(mixed, rows, values(share, 'l2.weight'), share.bottleneck, half, values(share, 'l2.bias'));
  return y.map((v, i) => v + (up[i] as number));
}

/** MMadapter by the fixture README's formula, in double precision. */
function naiveMMadapter(adapter: MMadapter, m: Float32Array, batch: number, tokens: number, heads: number, shareHeads: number): Float64Array {
  const rows = batch * tokens;
  const n = adapter.bottleneck;
  const down = naiveLinear(m, rows, values(adapter, 'img_proj_down.weight'), n, adapter.hidden, values(adapter, 'img_proj_down.bias'));
  const z = down.map((x) => 0.5 * x * (1 + referenceErf(x / Math.SQRT2)));
  let y = naiveAttention(adapter, 'multihead_attention', z, batch, tokens, n, heads);
  if (adapter.BiShareAdapterxx) y = naiveBiShare(adapter.BiShareAdapterxx, y, batch, tokens, shareHeads);
  y = naiveAttention(adapter, 'multihead_attention', y, batch, tokens, n, heads);
  const g = sigmoid(values(adapter, 'gate1')[0] as number);
  const mixed = z.map((zv, i) => g * zv + (1 - g) * (y[i] as number));
  const up = naiveLinear(mixed, rows, values(adapter, 'img_proj_up.weight'), adapter.hidden, n, values(adapter, 'img_proj_up.bias'));
  return Float64Array.from(m, (v, i) => v + (up[i] as number));
}

describe.each(PORTABLE_BACKENDS)('MMadapter and BiShareAdapter (%s)', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('match the reference formulas in double precision, with and without a BiShareAdapter', () => {
    const [batch, tokens, hidden] = [2, 5, 12];
    for (const withShare of [false, true]) {
      const rng = new SeededRandom(withShare ? 2 : 1);
      const share = withShare ? new BiShareAdapter(8, { heads: 2, rng }) : undefined;
      const adapter = new MMadapter(hidden, { bottleneck: 8, heads: 4, share, rng });
      randomize(adapter, rng);
      const m = normalTensor([batch, tokens, hidden], rng);
      const out = adapter.forward(m);
      const expected = naiveMMadapter(adapter, m.dataSync() as Float32Array, batch, tokens, 4, 2);
      expectAllClose(out, expected, { atol: 2e-5 }, `MMadapter${withShare ? ' + BiShare' : ''}`);
      tf.dispose([m, out]);
      adapter.dispose();
    }
  });

  it('attends over every token with no mask: the first token sees a change in the last', () => {
    const rng = new SeededRandom(3);
    const adapter = new MMadapter(6, { bottleneck: 4, heads: 2, rng });
    randomize(adapter, rng);
    const m = normalTensor([1, 4, 6], rng);
    const changed = tf.tidy(() => tf.concat([tf.slice(m, [0, 0, 0], [1, 3, 6]), tf.add(tf.slice(m, [0, 3, 0], [1, 1, 6]), 1)], 1));
    const first = (x: tf.Tensor): Float32Array => tf.tidy(() => tf.slice(adapter.forward(x), [0, 0, 0], [1, 1, 6]).dataSync() as Float32Array);
    const difference = Math.max(...first(m).map((v, i) => Math.abs(v - (first(changed)[i] as number))));
    expect(difference).toBeGreaterThan(1e-4);
    tf.dispose([m, changed]);
    adapter.dispose();
  });

  it('starts as the identity: img_proj_up and l2 are zero, gates 0.6', () => {
    const rng = new SeededRandom(4);
    const share = new BiShareAdapter(8, { heads: 2, rng });
    const adapter = new MMadapter(10, { bottleneck: 8, heads: 2, share, rng });
    expect(values(adapter, 'img_proj_up.weight').every((v) => v === 0)).toBe(true);
    expect(values(share, 'l2.weight').every((v) => v === 0)).toBe(true);
    expect(values(adapter, 'img_proj_down.weight').some((v) => v !== 0)).toBe(true);
    expect([values(adapter, 'gate1')[0], values(share, 'gate1')[0]]).toEqual([Math.fround(0.6), Math.fround(0.6)]);
    const m = normalTensor([3, 4, 10], rng);
    const out = adapter.forward(m);
    expectAllClose(out, m, { atol: 0 }, 'fresh adapter');
    tf.dispose([m, out]);
    adapter.dispose();
  });
});

describe('MMadapter construction', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('names its parameters as the official state dict, in its order', () => {
    const share = new BiShareAdapter(16, { heads: 2 });
    const adapter = new MMadapter(48, { bottleneck: 16, heads: 4, share });
    expect(adapter.namedParameters().map(([name, p]) => `${name} [${p.shape}]`)).toEqual([
      'gate1 []',
      'img_proj_down.weight [16,48]',
      'img_proj_down.bias [16]',
      'img_proj_up.weight [48,16]',
      'img_proj_up.bias [48]',
      'BiShareAdapterxx.gate1 []',
      'BiShareAdapterxx.l1.weight [8,16]',
      'BiShareAdapterxx.l1.bias [8]',
      'BiShareAdapterxx.l2.weight [16,8]',
      'BiShareAdapterxx.l2.bias [16]',
      'BiShareAdapterxx.multihead_attention1.in_proj_weight [24,8]',
      'BiShareAdapterxx.multihead_attention1.in_proj_bias [24]',
      'BiShareAdapterxx.multihead_attention1.out_proj.weight [8,8]',
      'BiShareAdapterxx.multihead_attention1.out_proj.bias [8]',
      'multihead_attention.in_proj_weight [48,16]',
      'multihead_attention.in_proj_bias [48]',
      'multihead_attention.out_proj.weight [16,16]',
      'multihead_attention.out_proj.bias [16]',
    ]);
    adapter.dispose();
  });

  it('refuses widths the heads do not divide, odd BiShare bottlenecks and mismatched shares', () => {
    expect(() => new MMadapter(32, { bottleneck: 10, heads: 4 })).toThrow(/not divisible by 4 heads/);
    expect(() => new BiShareAdapter(9)).toThrow(/even integer/);
    expect(() => new BiShareAdapter(12, { heads: 4 })).toThrow(/attention width 6/);
    expect(() => new MMadapter(32, { bottleneck: 16, heads: 4, share: new BiShareAdapter(8, { heads: 2 }) })).toThrow(/bottleneck 8/);
  });
});
