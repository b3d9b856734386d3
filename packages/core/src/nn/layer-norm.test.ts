import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { useBackend } from '../runtime/init-backend';
import { chooseProductEngine } from '../runtime/product-engine';
import { SeededRandom } from '../random/seeded-random';
import { expectAllClose } from '../testing/close';
import { PORTABLE_RUNTIMES } from '../testing/backends';
import { valueAndGradients } from '../module/gradients';
import { Parameter } from '../module/parameter';
import { FUSED_KERNELS, hasFusedKernel } from '../runtime/wasm-overrides/onnxruntime-fused-kernels';
import { LayerNorm } from './layer-norm';

/** Per row of `width`: x̂ = (x − mean)/√(var + eps) (biased variance, two passes, double precision). */
function normalizedRows(x: ArrayLike<number>, width: number, eps = 1e-5): { xHat: Float64Array; inverseStd: Float64Array } {
  const rows = x.length / width;
  const xHat = new Float64Array(x.length);
  const inverseStd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let i = 0; i < width; i++) mean += x[r * width + i] as number;
    mean /= width;
    let variance = 0;
    for (let i = 0; i < width; i++) variance += ((x[r * width + i] as number) - mean) ** 2;
    inverseStd[r] = 1 / Math.sqrt(variance / width + eps);
    for (let i = 0; i < width; i++) xHat[r * width + i] = ((x[r * width + i] as number) - mean) * (inverseStd[r] as number);
  }
  return { xHat, inverseStd };
}

describe.each(PORTABLE_RUNTIMES)('LayerNorm on $label', ({ backend, products }) => {
  const rng = new SeededRandom('layer-norm');
  beforeAll(async () => {
    await useBackend(backend, { products });
  });

  it('normalises rows whose mean is 40 standard deviations from zero as the two-pass definition, and differentiates x, γ and β as the formulas say', () => {
    const [rows, width] = [6, 48];
    const x = rng.fillNormal(rows * width, 0, 1);
    // A residual stream's rows can sit far from zero: a one-pass E[x²] − E[x]² would lose digits here.
    for (let r = 0; r < rows; r++) for (let i = 0; i < width; i++) x[r * width + i] = (x[r * width + i] as number) + 40 * (r % 2 === 0 ? 1 : -1);
    const norm = new LayerNorm(width);
    tf.tidy(() => {
      norm.weight.assign(tf.tensor1d(rng.fillUniform(width, 0.5, 1.5)));
      norm.bias.assign(tf.tensor1d(rng.fillNormal(width, 0, 0.5)));
    });
    const gamma = Array.from(norm.weight.value.dataSync());
    const beta = Array.from(norm.bias.value.dataSync());
    const { xHat, inverseStd } = normalizedRows(x, width);
    const upstream = rng.fillNormal(rows * width);
    const input = new Parameter(tf.tensor2d(x, [rows, width]));
    const target = tf.tensor2d(upstream, [rows, width]);
    const y = norm.forward(input.value);
    expectAllClose(y, Array.from(xHat, (v, i) => v * gamma[i % width]! + beta[i % width]!), { atol: 2e-5 }, 'y');
    const { value, gradients } = valueAndGradients(() => tf.sum(tf.mul(norm.forward(input.value), target)) as tf.Scalar, [
      ['x', input],
      ['weight', norm.weight],
      ['bias', norm.bias],
    ]);
    const dx = new Float64Array(rows * width);
    for (let r = 0; r < rows; r++) {
      let meanG = 0;
      let meanGx = 0;
      for (let i = 0; i < width; i++) {
        const g = (upstream[r * width + i] as number) * gamma[i]!;
        meanG += g / width;
        meanGx += (g * (xHat[r * width + i] as number)) / width;
      }
      for (let i = 0; i < width; i++) {
        const g = (upstream[r * width + i] as number) * gamma[i]!;
        dx[r * width + i] = (g - meanG - (xHat[r * width + i] as number) * meanGx) * (inverseStd[r] as number);
      }
    }
    expectAllClose(gradients.get('x')!, dx, { atol: 2e-5 }, 'dx');
    const column = (f: (i: number) => number) => Array.from({ length: width }, (_, c) => Array.from({ length: rows }, (_, r) => f(r * width + c)).reduce((a, b) => a + b, 0));
    expectAllClose(gradients.get('weight')!, column((i) => (upstream[i] as number) * (xHat[i] as number)), { atol: 1e-4 }, 'dγ');
    expectAllClose(gradients.get('bias')!, column((i) => upstream[i] as number), { atol: 1e-4 }, 'dβ');
    tf.dispose([y, value, ...gradients.values(), target]);
    input.dispose();
    norm.dispose();
  });

  it(products === 'onnxruntime' ? 'runs as one fused kernel each way on ONNX Runtime' : 'composes tfjs ops (no fused kernel here)', () => {
    expect([hasFusedKernel(FUSED_KERNELS.layerNorm), hasFusedKernel(FUSED_KERNELS.layerNormGrad)]).toEqual([products === 'onnxruntime', products === 'onnxruntime']);
    if (products !== 'onnxruntime') return;
    const runFused = vi.spyOn(chooseProductEngine({ products }).products!, 'runFused');
    const norm = new LayerNorm(8);
    const input = new Parameter(tf.randomNormal([3, 8]));
    const { value, gradients } = valueAndGradients(() => tf.sum(norm.forward(input.value)) as tf.Scalar, [['x', input]]);
    expect(runFused.mock.calls.map(([key]) => key)).toEqual([`${FUSED_KERNELS.layerNorm} eps 0.00001`, FUSED_KERNELS.layerNormGrad]);
    runFused.mockRestore();
    tf.dispose([value, ...gradients.values()]);
    input.dispose();
    norm.dispose();
  });
});
