import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { useBackend } from '../runtime/init-backend';
import { PORTABLE_BACKENDS, PORTABLE_RUNTIMES } from '../testing/backends';
import { chooseProductEngine } from '../runtime/product-engine';
import { FUSED_KERNELS, hasFusedKernel, withoutFusedKernels } from '../runtime/wasm-overrides/onnxruntime-fused-kernels';
import { expectAllClose } from '../testing/close';
import { referenceErf } from '../testing/naive';
import { valueAndGradients } from '../module/gradients';
import { Parameter } from '../module/parameter';
import { composedErf, erf, gelu, quickGelu } from './activations';

const xs = Array.from({ length: 161 }, (_, i) => -8 + i * 0.1);

describe('reference erf', () => {
  it('matches known values', () => {
    expect(referenceErf(0.5)).toBeCloseTo(0.5204998778130465, 14);
    expect(referenceErf(1)).toBeCloseTo(0.8427007929497149, 14);
    expect(referenceErf(-2)).toBeCloseTo(-0.9953222650189527, 14);
    expect(referenceErf(3.5)).toBeCloseTo(0.9999992569016276, 14);
  });
});

describe.each(PORTABLE_BACKENDS)('activations on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('erf (kernel) and composed erf are within 1e-6 of the true function', () => {
    const expected = xs.map(referenceErf);
    expectAllClose(erf(tf.tensor1d(xs)), expected, { atol: 1e-6 }, 'erf');
    expectAllClose(composedErf(tf.tensor1d(xs)), expected, { atol: 1e-6 }, 'composed erf');
  });

  it('composed erf has the exact derivative 2/√π·exp(−x²)', () => {
    const p = new Parameter(tf.tensor1d(xs.filter((_, i) => i % 8 === 0)));
    const { gradients } = valueAndGradients(() => tf.sum(composedErf(p.value)) as tf.Scalar, [['x', p]]);
    const expected = Array.from(p.value.dataSync(), (x) => (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x));
    expectAllClose(gradients.get('x')!, expected, { atol: 1e-6 });
  });

  it('gelu is exact x·Φ(x), quickGelu is x·sigmoid(1.702x)', () => {
    const exact = xs.map((x) => 0.5 * x * (1 + referenceErf(x / Math.SQRT2)));
    expectAllClose(gelu(tf.tensor1d(xs)), exact, { atol: 1e-6 }, 'gelu');
    const quick = xs.map((x) => x / (1 + Math.exp(-1.702 * x)));
    expectAllClose(quickGelu(tf.tensor1d(xs)), quick, { atol: 1e-6 }, 'quickGelu');
    // The two differ by far more than the tolerance: a mix-up cannot pass.
    expect(Math.abs(exact[90]! - quick[90]!)).toBeGreaterThan(1e-3);
  });

  it('erf falls back to the composed form when the backend lacks the kernel', () => {
    const kernel = tf.getKernel('Erf', backend)!;
    tf.unregisterKernel('Erf', backend);
    try {
      expect(tf.getKernel('Erf', backend)).toBeUndefined();
      expectAllClose(erf(tf.tensor1d(xs)), xs.map(referenceErf), { atol: 1e-6 });
    } finally {
      tf.registerKernel(kernel);
    }
  });
});

describe.each(PORTABLE_RUNTIMES)('gelu and quickGelu derivatives on $label', ({ backend, products }) => {
  beforeAll(async () => {
    await useBackend(backend, { products });
  });

  it('differentiate as the formulas say: Φ(x) + x·φ(x) and s + 1.702·x·s·(1 − s)', () => {
    const p = new Parameter(tf.tensor1d(xs));
    const upstream = tf.tensor1d(xs.map((_, i) => 1 + 0.01 * i));
    const phi = (x: number) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
    const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
    const cases = [
      ['gelu', gelu, (x: number) => 0.5 * (1 + referenceErf(x / Math.SQRT2)) + x * phi(x)],
      ['quickGelu', quickGelu, (x: number) => sigmoid(1.702 * x) * (1 + 1.702 * x * (1 - sigmoid(1.702 * x)))],
    ] as const;
    for (const [label, f, derivative] of cases) {
      const { gradients } = valueAndGradients(() => tf.sum(tf.mul(f(p.value), upstream)) as tf.Scalar, [['x', p]]);
      // ONNX Runtime's vectorised logistic is accurate to about 1e-7 absolute; the derivative scales
      // that error by |1 + 1.702·x·(1 − s)| (up to 15 on [−8, 8]) and the upstream gradient (up to 2.6).
      expectAllClose(gradients.get('x')!, xs.map((x, i) => derivative(x) * (1 + 0.01 * i)), { atol: 4e-6, rtol: 2e-6 }, label);
      tf.dispose([...gradients.values()]);
    }
    tf.dispose(upstream);
    p.dispose();
  });

  it(products === 'onnxruntime' ? 'run as one fused kernel each way on ONNX Runtime' : 'compose tfjs ops (no fused kernels here)', () => {
    const fused = Object.values(FUSED_KERNELS).map((name) => hasFusedKernel(name));
    expect(fused).toEqual(Object.values(FUSED_KERNELS).map(() => products === 'onnxruntime'));
    if (products !== 'onnxruntime') return;
    const runFused = vi.spyOn(chooseProductEngine({ products }).products!, 'runFused');
    const p = new Parameter(tf.tensor1d(xs));
    const { value, gradients } = valueAndGradients(() => tf.sum(tf.add(gelu(p.value), quickGelu(p.value))) as tf.Scalar, [['x', p]]);
    expect(runFused.mock.calls.map(([key]) => key).sort()).toEqual([FUSED_KERNELS.gelu, FUSED_KERNELS.geluGrad, FUSED_KERNELS.quickGelu, FUSED_KERNELS.quickGeluGrad].sort());
    runFused.mockRestore();
    tf.dispose([value, ...gradients.values()]);
    p.dispose();
  });

  it('composes tfjs ops inside withoutFusedKernels (what the ONNX exporter traces), and has the fused kernels back after it, also after a throw', () => {
    const present = () => Object.values(FUSED_KERNELS).map((name) => hasFusedKernel(name));
    const before = present();
    const traced = withoutFusedKernels(() => {
      expect(present().every((has) => !has)).toBe(true);
      return tf.tidy(() => Array.from(quickGelu(tf.tensor1d([1, -2])).dataSync()));
    });
    expectAllClose(traced, [1 / (1 + Math.exp(-1.702)), -2 / (1 + Math.exp(3.404))], { atol: 1e-6 });
    expect(present()).toEqual(before);
    expect(() => withoutFusedKernels(() => { throw new Error('trace failed'); })).toThrow('trace failed');
    expect(present()).toEqual(before);
  });
});
