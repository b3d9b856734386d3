import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../runtime/init-backend';
import { Parameter } from '../module/parameter';
import { valueAndGradients } from '../module/gradients';
import { SeededRandom } from '../random/seeded-random';
import { PORTABLE_RUNTIMES } from '../testing/backends';
import { expectAllClose } from '../testing/close';
import { naiveLinear } from '../testing/naive';
import { linear } from './linear';

/** Gradients of Σ (x·Wᵀ + b) ⊙ c written out: dx = c·W, dW = cᵀ·x, db = Σ_rows c. */
function expectedGradients(x: Float32Array, w: Float32Array, c: Float32Array, rows: number, inF: number, outF: number) {
  const dx = new Float64Array(rows * inF);
  const dw = new Float64Array(outF * inF);
  const db = new Float64Array(outF);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outF; o++) {
      const g = c[r * outF + o]!;
      db[o]! += g;
      for (let i = 0; i < inF; i++) {
        dx[r * inF + i]! += g * w[o * inF + i]!;
        dw[o * inF + i]! += g * x[r * inF + i]!;
      }
    }
  }
  return { dx, dw, db };
}

describe.each(PORTABLE_RUNTIMES)('linear on $label', ({ backend, products }) => {
  beforeAll(async () => {
    await useBackend(backend, { products });
  });

  const rng = new SeededRandom(21);
  const [rows, inF, outF] = [6, 5, 4];
  const xValues = rng.fillNormal(rows * inF);
  const wValues = rng.fillNormal(outF * inF);
  const bValues = rng.fillNormal(outF);
  const cValues = rng.fillNormal(rows * outF);
  const expected = expectedGradients(xValues, wValues, cValues, rows, inF, outF);

  it('frozen and trainable weights give the same values, as a double-precision reference', () => {
    const reference = naiveLinear(xValues, rows, wValues, outF, inF, bValues);
    for (const trainable of [false, true]) {
      const weight = new Parameter(tf.tensor2d(wValues, [outF, inF]), { trainable });
      const bias = new Parameter(tf.tensor1d(bValues), { trainable });
      const x = tf.tensor3d(xValues, [2, 3, inF]);
      const y = linear(x, weight, bias);
      expect(y.shape).toEqual([2, 3, outF]);
      expectAllClose(y, reference, { atol: 1e-5 }, `trainable=${trainable}`);
    }
  });

  it('differentiates w.r.t. input, weight and bias when the weight trains', () => {
    const x = new Parameter(tf.tensor2d(xValues, [rows, inF]));
    const weight = new Parameter(tf.tensor2d(wValues, [outF, inF]));
    const bias = new Parameter(tf.tensor1d(bValues));
    const c = tf.tensor2d(cValues, [rows, outF]);
    const { gradients } = valueAndGradients(() => tf.sum(tf.mul(linear(x.value, weight, bias), c)) as tf.Scalar, [['x', x], ['w', weight], ['b', bias]]);
    expectAllClose(gradients.get('x')!, expected.dx, { atol: 1e-5 }, 'dx');
    expectAllClose(gradients.get('w')!, expected.dw, { atol: 1e-5 }, 'dW');
    expectAllClose(gradients.get('b')!, expected.db, { atol: 1e-5 }, 'db');
  });

  it('passes the gradient through a frozen weight to its input only, with a 4-D kernel too', () => {
    const x = new Parameter(tf.tensor2d(xValues, [rows, inF]));
    const frozen2d = new Parameter(tf.tensor2d(wValues, [outF, inF]), { trainable: false });
    const c = tf.tensor2d(cValues, [rows, outF]);
    const dx2d = valueAndGradients(() => tf.sum(tf.mul(linear(x.value, frozen2d), c)) as tf.Scalar, [['x', x], ['w', frozen2d]]);
    expect([...dx2d.gradients.keys()]).toEqual(['x']);
    expectAllClose(dx2d.gradients.get('x')!, expected.dx, { atol: 1e-5 }, 'dx (2-D kernel)');
    // in = 5 = 1 × 5 × 1: the same matrix held as a 4-D conv kernel [out, 1, 5, 1].
    const frozen4d = new Parameter(tf.tensor4d(wValues, [outF, 1, inF, 1]), { trainable: false });
    const dx4d = valueAndGradients(() => tf.sum(tf.mul(linear(x.value, frozen4d), c)) as tf.Scalar, [['x', x]]);
    expectAllClose(dx4d.gradients.get('x')!, expected.dx, { atol: 1e-5 }, 'dx (4-D kernel)');
  });

  it('keeps one cached transpose per frozen weight and drops it when the value changes', () => {
    const weight = new Parameter(tf.tensor2d(wValues, [outF, inF]), { trainable: false });
    const x = tf.tensor2d(xValues, [rows, inF]);
    linear(x, weight).dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) linear(x, weight).dispose();
    expect(tf.memory().numTensors).toBe(before);
    weight.assign(tf.zeros([outF, inF]));
    expect(Array.from(linear(x, weight).dataSync()).every((v) => v === 0)).toBe(true);
    weight.trainable = true;
    weight.assign(tf.tensor2d(wValues, [outF, inF]));
    expectAllClose(linear(x, weight), naiveLinear(xValues, rows, wValues, outF, inF), { atol: 1e-5 });
  });

  it('without a kept transpose, a frozen weight gives the same values and gradients and holds no copy', () => {
    const weight = new Parameter(tf.tensor2d(wValues, [outF, inF]), { trainable: false });
    weight.keepTransposed = false;
    const x = new Parameter(tf.tensor2d(xValues, [rows, inF]));
    const c = tf.tensor2d(cValues, [rows, outF]);
    const buffers = tf.memory().numDataBuffers;
    const y = linear(x.value, weight);
    expect(tf.memory().numDataBuffers).toBe(buffers + 1);
    expectAllClose(y, naiveLinear(xValues, rows, wValues, outF, inF), { atol: 1e-5 });
    const { gradients } = valueAndGradients(() => tf.sum(tf.mul(linear(x.value, weight), c)) as tf.Scalar, [['x', x]]);
    expectAllClose(gradients.get('x')!, expected.dx, { atol: 1e-5 }, 'dx');
  });
});
