import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../runtime/init-backend';
import { SeededRandom } from '../random/seeded-random';
import { expectAllClose } from '../testing/close';
import { PORTABLE_RUNTIMES } from '../testing/backends';
import { valueAndGradients } from '../module/gradients';
import { Parameter } from '../module/parameter';
import { Conv2d } from './conv2d';

type Nchw = [number, number, number, number];

/**
 * Every tap of a zero-padded convolution of x [n, c, h, w] with a weight [o, c, k, k]: calls
 * `visit(yi, xi, wi)` with the flat indices of the output, input and weight values it multiplies
 * (taps on the padding are skipped). Returns the output shape [n, o, h', w'].
 */
function forEachTap([n, c, h, w]: Nchw, o: number, k: number, stride: number, padding: number, visit: (yi: number, xi: number, wi: number) => void): Nchw {
  const oh = Math.floor((h + 2 * padding - k) / stride) + 1;
  const ow = Math.floor((w + 2 * padding - k) / stride) + 1;
  for (let b = 0; b < n; b++) {
    for (let out = 0; out < o; out++) {
      for (let i = 0; i < oh; i++) {
        for (let j = 0; j < ow; j++) {
          const yi = ((b * o + out) * oh + i) * ow + j;
          for (let ch = 0; ch < c; ch++) {
            for (let di = 0; di < k; di++) {
              for (let dj = 0; dj < k; dj++) {
                const y = i * stride + di - padding;
                const xx = j * stride + dj - padding;
                if (y < 0 || y >= h || xx < 0 || xx >= w) continue;
                visit(yi, ((b * c + ch) * h + y) * w + xx, ((out * c + ch) * k + di) * k + dj);
              }
            }
          }
        }
      }
    }
  }
  return [n, o, oh, ow];
}

/** PyTorch's conv2d in double precision: x [n, c, h, w], weight [o, c, k, k], zero padding → [n, o, h', w'] (NCHW). */
function naiveConv2d(x: ArrayLike<number>, shape: Nchw, weight: ArrayLike<number>, o: number, k: number, stride: number, padding: number, bias?: ArrayLike<number>): { values: Float64Array; shape: number[] } {
  const sums: number[] = [];
  const out = forEachTap(shape, o, k, stride, padding, (yi, xi, wi) => {
    sums[yi] = (sums[yi] ?? 0) + (x[xi] as number) * (weight[wi] as number);
  });
  const [, , oh, ow] = out;
  const values = Float64Array.from({ length: out.reduce((a, b) => a * b, 1) }, (_, yi) => (sums[yi] ?? 0) + (bias ? (bias[Math.floor(yi / (oh * ow)) % o] as number) : 0));
  return { values, shape: out };
}

/**
 * Gradients of Σ t ⊙ conv(x, weight) in double precision (NCHW, weight [o, c, k, k]):
 * dx[b, ch, y, x] = Σ t[b, o, i, j]·w[o, ch, y − i·s + p, x − j·s + p], dW[o, ch, di, dj] = Σ t[b, o, i, j]·x[b, ch, i·s + di − p, j·s + dj − p].
 */
function naiveConv2dGradients(x: ArrayLike<number>, shape: Nchw, weight: ArrayLike<number>, t: ArrayLike<number>, o: number, k: number, stride: number, padding: number): { dx: Float64Array; dw: Float64Array } {
  const [n, c, h, w] = shape;
  const dx = new Float64Array(n * c * h * w);
  const dw = new Float64Array(o * c * k * k);
  forEachTap(shape, o, k, stride, padding, (yi, xi, wi) => {
    dx[xi] = (dx[xi] as number) + (t[yi] as number) * (weight[wi] as number);
    dw[wi] = (dw[wi] as number) + (t[yi] as number) * (x[xi] as number);
  });
  return { dx, dw };
}

describe.each(PORTABLE_RUNTIMES)('Conv2d on $label', ({ backend, products }) => {
  beforeAll(async () => {
    await useBackend(backend, { products });
  });

  it.each([
    ['3×3, stride 2, padding 1 (the ResNet stem)', 3, 2, 1, false],
    ['3×3, stride 1, padding 1, with bias', 3, 1, 1, true],
    ['1×1 (a product over channels)', 1, 1, 0, true],
    ['2×2, stride 2, odd input (floor)', 2, 2, 0, false],
  ] as const)('%s matches a double-precision NCHW reference on the weight [out, in, k, k]', (_, k, stride, padding, bias) => {
    const rng = new SeededRandom(`conv-${k}-${stride}-${padding}`);
    const [n, c, h, w, o] = [2, 3, 7, 5, 4];
    const conv = new Conv2d(c, o, k, { stride, padding, bias, rng });
    if (bias) tf.tidy(() => conv.bias?.assign(tf.tensor(rng.fillNormal(o))));
    const x = rng.fillNormal(n * c * h * w);
    const expected = naiveConv2d(x, [n, c, h, w], conv.weight.value.dataSync(), o, k, stride, padding, bias ? conv.bias?.value.dataSync() : undefined);
    const nhwc = tf.transpose(tf.tensor4d(x, [n, c, h, w]), [0, 2, 3, 1]);
    const y = tf.transpose(conv.forward(nhwc), [0, 3, 1, 2]);
    expect(y.shape).toEqual(expected.shape);
    expectAllClose(y, expected.values, { atol: 1e-5 });
    tf.dispose([nhwc, y]);
    conv.dispose();
  });

  it.each([
    ['3×3, stride 2, padding 1, even input (the ResNet stem)', 3, 2, 1, [2, 3, 8, 6]],
    ['3×3, stride 2, padding 1, odd input (a row the kernel never reaches)', 3, 2, 1, [2, 3, 7, 5]],
    ['3×3, stride 1, padding 1', 3, 1, 1, [2, 3, 5, 4]],
    ['2×2, stride 2, no padding', 2, 2, 0, [1, 2, 5, 4]],
  ] as const)('differentiates a trainable weight and the input: %s', (_, k, stride, padding, shape) => {
    const rng = new SeededRandom(`conv-grad-${k}-${stride}-${shape.join('x')}`);
    const [n, c, h, w] = shape;
    const o = 4;
    const conv = new Conv2d(c, o, k, { stride, padding, rng });
    tf.tidy(() => conv.bias?.assign(tf.tensor(rng.fillNormal(o))));
    const x = rng.fillNormal(n * c * h * w);
    const oh = Math.floor((h + 2 * padding - k) / stride) + 1;
    const ow = Math.floor((w + 2 * padding - k) / stride) + 1;
    const t = rng.fillNormal(n * o * oh * ow);
    const expected = naiveConv2dGradients(x, [n, c, h, w], conv.weight.value.dataSync(), t, o, k, stride, padding);
    const input = new Parameter(tf.transpose(tf.tensor4d(x, [n, c, h, w]), [0, 2, 3, 1]));
    const target = tf.tensor4d(t, [n, o, oh, ow]);
    const { value, gradients } = valueAndGradients(
      () => tf.sum(tf.mul(tf.transpose(conv.forward(input.value), [0, 3, 1, 2]), target)) as tf.Scalar,
      [['x', input], ['weight', conv.weight], ['bias', conv.bias as Parameter]],
    );
    expectAllClose(gradients.get('weight')!, expected.dw, { atol: 1e-4 }, 'd weight');
    expectAllClose(tf.transpose(gradients.get('x')!, [0, 3, 1, 2]), expected.dx, { atol: 1e-4 }, 'd x');
    expectAllClose(gradients.get('bias')!, Array.from({ length: o }, (_, out) => {
      let sum = 0;
      for (let b = 0; b < n; b++) for (let p = 0; p < oh * ow; p++) sum += t[(b * o + out) * oh * ow + p] as number;
      return sum;
    }), { atol: 1e-4 }, 'd bias');
    tf.dispose([value, ...gradients.values(), target]);
    input.dispose();
    conv.dispose();
  });

  it('keeps one rearranged copy of a frozen weight until its value changes', () => {
    const conv = new Conv2d(2, 3, 3, { padding: 1, bias: false, rng: new SeededRandom(1) });
    conv.weight.trainable = false;
    const x = tf.ones([1, 4, 4, 2]);
    tf.dispose(conv.forward(x));
    const cached = tf.memory().numTensors;
    const first = conv.forward(x);
    expect(tf.memory().numTensors).toBe(cached + 1);
    tf.tidy(() => conv.weight.assign(tf.mul(conv.weight.value, 2)));
    const second = conv.forward(x);
    expect(tf.memory().numTensors).toBe(cached + 2);
    expectAllClose(second, Array.from(first.dataSync(), (v) => 2 * v), { atol: 1e-5 });
    tf.dispose([x, first, second]);
    conv.dispose();
    expect(() => new Conv2d(2, 3, 3).forward(tf.zeros([1, 2, 4, 4]))).toThrow(/expected channels-last \[batch, height, width, 2\]/);
  });
});
