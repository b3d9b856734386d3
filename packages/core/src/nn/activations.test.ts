import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../runtime/init-backend';
import { PORTABLE_BACKENDS } from '../testing/backends';
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
