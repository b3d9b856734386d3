import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../runtime/init-backend';
import { SeededRandom } from '../random/seeded-random';
import { expectAllClose } from '../testing/close';
import { PORTABLE_BACKENDS } from '../testing/backends';
import { valueAndGradients } from '../module/gradients';
import { Parameter } from '../module/parameter';
import { BatchNorm2d } from './batch-norm';

/** Per-channel mean and biased variance of channels-last values, in double precision. */
function channelStatistics(x: ArrayLike<number>, channels: number): { mean: number[]; variance: number[]; count: number } {
  const count = x.length / channels;
  const mean = Array.from({ length: channels }, (_, c) => {
    let sum = 0;
    for (let i = c; i < x.length; i += channels) sum += x[i] as number;
    return sum / count;
  });
  const variance = mean.map((m, c) => {
    let sum = 0;
    for (let i = c; i < x.length; i += channels) sum += ((x[i] as number) - m) ** 2;
    return sum / count;
  });
  return { mean, variance, count };
}

function randomNorm(rng: SeededRandom, channels: number): BatchNorm2d {
  const norm = new BatchNorm2d(channels);
  tf.tidy(() => {
    norm.weight.assign(tf.tensor(rng.fillUniform(channels, 0.5, 1.5)));
    norm.bias.assign(tf.tensor(rng.fillNormal(channels)));
    norm.runningMean.assign(tf.tensor(rng.fillNormal(channels, 0, 0.5)));
    norm.runningVar.assign(tf.tensor(rng.fillUniform(channels, 0.5, 2)));
  });
  return norm;
}

describe.each(PORTABLE_BACKENDS)('BatchNorm2d on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('evaluation mode normalises with the running statistics and changes nothing', () => {
    const rng = new SeededRandom(21);
    const norm = randomNorm(rng, 3);
    const x = rng.fillNormal(2 * 4 * 5 * 3, 1, 2);
    const [w, b, mean, variance] = [norm.weight, norm.bias, norm.runningMean, norm.runningVar].map((t) => Array.from(t.value.dataSync())) as [number[], number[], number[], number[]];
    const expected = Array.from(x, (v, i) => {
      const c = i % 3;
      return ((v - mean[c]!) / Math.sqrt(variance[c]! + 1e-5)) * w[c]! + b[c]!;
    });
    expectAllClose(norm.forward(tf.tensor4d(x, [2, 4, 5, 3])), expected, { atol: 1e-5 });
    expect(Array.from(norm.runningMean.value.dataSync())).toEqual(mean.map(Math.fround));
    expect(norm.numBatchesTracked.value.dataSync()[0]).toBe(0);
    norm.dispose();
  });

  it('training mode normalises with the batch (biased variance) and updates the running statistics as PyTorch (momentum 0.1, unbiased)', () => {
    const rng = new SeededRandom(22);
    const norm = randomNorm(rng, 3);
    norm.training = true;
    const [w, b] = [norm.weight, norm.bias].map((t) => Array.from(t.value.dataSync())) as [number[], number[]];
    let [runningMean, runningVar] = [norm.runningMean, norm.runningVar].map((t) => Array.from(t.value.dataSync())) as [number[], number[]];
    for (let call = 1; call <= 2; call++) {
      const x = rng.fillNormal(2 * 4 * 5 * 3, call, 2);
      const { mean, variance, count } = channelStatistics(x, 3);
      const y = norm.forward(tf.tensor4d(x, [2, 4, 5, 3]));
      expectAllClose(y, Array.from(x, (v, i) => ((v - mean[i % 3]!) / Math.sqrt(variance[i % 3]! + 1e-5)) * w[i % 3]! + b[i % 3]!), { atol: 1e-5 });
      runningMean = runningMean.map((r, c) => 0.9 * r + 0.1 * mean[c]!);
      runningVar = runningVar!.map((r, c) => 0.9 * r + (0.1 * variance[c]! * count) / (count - 1));
      expectAllClose(norm.runningMean.value, runningMean, { atol: 1e-6 }, `running_mean after call ${call}`);
      expectAllClose(norm.runningVar.value, runningVar, { atol: 1e-6 }, `running_var after call ${call}`);
      expect(norm.numBatchesTracked.value.dataSync()[0]).toBe(call);
    }
    expect(() => norm.forward(tf.zeros([1, 1, 1, 3]))).toThrow(/more than one value per channel/);
    norm.dispose();
  });

  it('gives a batch in chunks of rows exactly the numbers of one call, with one running update', () => {
    const rng = new SeededRandom(24);
    const whole = randomNorm(rng, 5);
    const chunked = randomNorm(new SeededRandom(24), 5);
    whole.training = true;
    chunked.training = true;
    const x = tf.tensor4d(rng.fillNormal(7 * 3 * 4 * 5, 0.5, 3), [7, 3, 4, 5]);
    const y = whole.forward(x);
    const parts = [tf.slice(x, 0, 2), tf.slice(x, 2, 1), tf.slice(x, 3, 4)];
    const outputs = chunked.forwardChunks(parts);
    expect(Array.from(tf.concat(outputs, 0).dataSync())).toEqual(Array.from(y.dataSync()));
    for (const name of ['running_mean', 'running_var', 'num_batches_tracked']) {
      expect(Array.from(chunked.buffer(name).value.dataSync()), name).toEqual(Array.from(whole.buffer(name).value.dataSync()));
    }
    expect(chunked.numBatchesTracked.value.dataSync()[0]).toBe(1);
    chunked.training = false;
    expect(Array.from(tf.concat(chunked.forwardChunks(parts), 0).dataSync())).toEqual(Array.from(chunked.forward(x).dataSync()));
    expect(() => chunked.forwardChunks([])).toThrow(/no chunks/);
    tf.dispose([x, y, ...parts, ...outputs]);
    whole.dispose();
    chunked.dispose();
  });

  it('differentiates the input through the batch statistics: dx = γ/σ·(t − mean(t) − x̂·mean(t·x̂)) per channel', () => {
    const rng = new SeededRandom(25);
    const norm = randomNorm(rng, 3);
    norm.training = true;
    const [n, h, w, c] = [3, 2, 4, 3];
    const x = rng.fillNormal(n * h * w * c, 0.3, 1.7);
    const t = rng.fillNormal(n * h * w * c);
    const gamma = Array.from(norm.weight.value.dataSync());
    const { mean, variance, count } = channelStatistics(x, c);
    const xHat = Array.from(x, (v, i) => (v - mean[i % c]!) / Math.sqrt(variance[i % c]! + 1e-5));
    const meanT = Array.from({ length: c }, (_, ch) => t.reduce((sum, v, i) => (i % c === ch ? sum + v : sum), 0) / count);
    const meanTX = Array.from({ length: c }, (_, ch) => t.reduce((sum, v, i) => (i % c === ch ? sum + v * xHat[i]! : sum), 0) / count);
    const expected = Array.from(x, (_, i) => {
      const ch = i % c;
      return (gamma[ch]! / Math.sqrt(variance[ch]! + 1e-5)) * (t[i]! - meanT[ch]! - xHat[i]! * meanTX[ch]!);
    });
    const input = new Parameter(tf.tensor4d(x, [n, h, w, c]));
    const target = tf.tensor4d(t, [n, h, w, c]);
    const { value, gradients } = valueAndGradients(() => tf.sum(tf.mul(norm.forward(input.value), target)) as tf.Scalar, [['x', input]]);
    expectAllClose(gradients.get('x')!, expected, { atol: 1e-5 });
    tf.dispose([value, ...gradients.values(), target]);
    input.dispose();
    norm.dispose();
  });

  it('keeps the tensor count flat across training-mode calls', () => {
    const norm = new BatchNorm2d(2);
    norm.training = true;
    const x = tf.randomNormal([2, 3, 3, 2]);
    tf.dispose(norm.forward(x));
    const before = tf.memory().numTensors;
    tf.dispose(norm.forward(x));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(x);
    norm.dispose();
  });
});

describe('BatchNorm2d gradients (cpu)', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('differentiates training mode through the batch statistics, leaving the running update off the tape', () => {
    const rng = new SeededRandom(23);
    const norm = randomNorm(rng, 2);
    norm.training = true;
    const x = tf.tensor4d(rng.fillNormal(3 * 2 * 2 * 2), [3, 2, 2, 2]);
    const target = tf.tensor4d(rng.fillNormal(3 * 2 * 2 * 2), [3, 2, 2, 2]);
    const loss = (): tf.Scalar => tf.sum(tf.mul(norm.forward(x), target));
    const { value, gradients } = valueAndGradients(loss, [['weight', norm.weight], ['bias', norm.bias]]);
    // d/dγ Σ t·(x̂γ + β) = Σ t·x̂, d/dβ = Σ t (per channel).
    const xHat = tf.tidy(() => {
      const mean = tf.mean(x, [0, 1, 2]);
      return tf.div(tf.sub(x, mean), tf.sqrt(tf.add(tf.mean(tf.square(tf.sub(x, mean)), [0, 1, 2]), 1e-5)));
    });
    expectAllClose(gradients.get('weight')!, tf.sum(tf.mul(target, xHat), [0, 1, 2]), { atol: 1e-5 });
    expectAllClose(gradients.get('bias')!, tf.sum(target, [0, 1, 2]), { atol: 1e-5 });
    expect(norm.numBatchesTracked.value.dataSync()[0]).toBe(1);
    tf.dispose([value, ...gradients.values(), x, target, xHat]);
    norm.dispose();
  });
});
