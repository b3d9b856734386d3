import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { expectAllClose } from '../../testing/close';
import { SeededRandom } from '../../random/seeded-random';
import { useBackend } from '../init-backend';
import { activeProductEngine, chooseProductEngine, PRODUCT_ENGINES } from '../product-engine';

interface Case {
  x: [number, number, number, number];
  kernel: [number, number];
  out: number;
  strides: number;
  pad: 'same' | 'valid' | number;
  dilations: number;
}

/**
 * tfjs's channels-last convolution by its definition, in double precision: output size and
 * padding are tfjs's own (`computeConv2DInfo`), so only the arithmetic is checked here.
 */
function naiveConv2d(x: Float32Array, filter: Float32Array, c: Case): { values: Float64Array; shape: number[] } {
  const [batch, height, width, channels] = c.x;
  const [kh, kw] = c.kernel;
  const info = tf.backend_util.computeConv2DInfo(c.x, [kh, kw, channels, c.out], c.strides, c.dilations, c.pad);
  const { outHeight, outWidth, padInfo } = info;
  const values = new Float64Array(batch * outHeight * outWidth * c.out);
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        for (let o = 0; o < c.out; o++) {
          let sum = 0;
          for (let i = 0; i < kh; i++) {
            const y = oy * c.strides + i * c.dilations - padInfo.top;
            if (y < 0 || y >= height) continue;
            for (let j = 0; j < kw; j++) {
              const xx = ox * c.strides + j * c.dilations - padInfo.left;
              if (xx < 0 || xx >= width) continue;
              for (let ch = 0; ch < channels; ch++) {
                sum += (x[((b * height + y) * width + xx) * channels + ch] as number) * (filter[((i * kw + j) * channels + ch) * c.out + o] as number);
              }
            }
          }
          values[((b * outHeight + oy) * outWidth + ox) * c.out + o] = sum;
        }
      }
    }
  }
  return { values, shape: info.outShape };
}

// Both engines: ONNX Runtime where onnxruntime-node loads (forced, so its absence fails), XNNPACK always.
describe.each(PRODUCT_ENGINES)('wasm Conv2D kernel with products on %s', (engine) => {
  const rng = new SeededRandom('conv2d-kernel');
  beforeAll(async () => {
    await useBackend('wasm', { products: engine });
    expect(activeProductEngine()?.engine).toBe(engine);
  });

  it.each<Case>([
    // A ResNet Bottleneck's 3×3 layer, the stem's strided one, asymmetric 'same' padding, dilation, a rectangular kernel.
    { x: [2, 9, 7, 6], kernel: [3, 3], out: 5, strides: 1, pad: 1, dilations: 1 },
    { x: [3, 11, 11, 3], kernel: [3, 3], out: 4, strides: 2, pad: 1, dilations: 1 },
    { x: [1, 8, 10, 4], kernel: [4, 4], out: 3, strides: 3, pad: 'same', dilations: 1 },
    { x: [2, 10, 9, 2], kernel: [3, 3], out: 3, strides: 1, pad: 'valid', dilations: 2 },
    { x: [1, 6, 12, 5], kernel: [1, 5], out: 7, strides: 1, pad: 'same', dilations: 1 },
  ])('convolves $x with a $kernel kernel to $out channels, stride $strides, padding $pad, dilation $dilations, as the definition', (c) => {
    const [kh, kw] = c.kernel;
    const xValues = rng.fillNormal(c.x.reduce((a, b) => a * b, 1));
    const filterValues = rng.fillNormal(kh * kw * c.x[3] * c.out);
    const expected = naiveConv2d(xValues, filterValues, c);
    const x = tf.tensor4d(xValues, c.x);
    const filter = tf.tensor4d(filterValues, [kh, kw, c.x[3], c.out]);
    const y = tf.conv2d(x, filter, c.strides, c.pad, 'NHWC', c.dilations);
    expect(y.shape).toEqual(expected.shape);
    expectAllClose(y, expected.values, { atol: 1e-5, rtol: 1e-5 });
    tf.dispose([x, filter, y]);
  });

  it('convolves inside tf.grad and gives the input gradient of the definition (a transposed convolution)', () => {
    const x = tf.tensor4d(rng.fillNormal(2 * 5 * 5 * 3), [2, 5, 5, 3]);
    const filter = tf.tensor4d(rng.fillNormal(3 * 3 * 3 * 2), [3, 3, 3, 2]);
    const target = tf.tensor4d(rng.fillNormal(2 * 3 * 3 * 2), [2, 3, 3, 2]);
    const gradient = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(input as tf.Tensor4D, filter, 2, 1), target)))(x);
    // d/dx Σ t·conv(x) is Σ over outputs of t times the filter tap that reached x: by hand on the host.
    const [fs, ts] = [filter, target].map((t) => t.dataSync());
    const expected = new Float64Array(2 * 5 * 5 * 3);
    for (let b = 0; b < 2; b++) for (let oy = 0; oy < 3; oy++) for (let ox = 0; ox < 3; ox++) for (let o = 0; o < 2; o++) {
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
        const [y, xx] = [oy * 2 + i - 1, ox * 2 + j - 1];
        if (y < 0 || y >= 5 || xx < 0 || xx >= 5) continue;
        for (let ch = 0; ch < 3; ch++) expected[((b * 5 + y) * 5 + xx) * 3 + ch]! += (ts![((b * 3 + oy) * 3 + ox) * 2 + o] as number) * (fs![((i * 3 + j) * 3 + ch) * 2 + o] as number);
      }
    }
    expectAllClose(gradient, expected, { atol: 1e-5 });
    tf.dispose([x, filter, target, gradient]);
  });
});

describe('wasm Conv2D on ONNX Runtime', () => {
  it('runs on ONNX Runtime (not the wasm backend\'s own kernel) and falls back for what it does not take', async () => {
    await useBackend('wasm', { products: 'onnxruntime' });
    const { products } = chooseProductEngine({ products: 'onnxruntime' });
    const convolve = vi.spyOn(products!, 'convolve');
    const x = tf.ones([1, 4, 4, 2]) as tf.Tensor4D;
    const filter = tf.ones([3, 3, 2, 1]) as tf.Tensor4D;
    const y = tf.conv2d(x, filter, 1, 'valid');
    expect(Array.from(y.dataSync())).toEqual([18, 18, 18, 18]);
    expect(convolve).toHaveBeenCalledTimes(1);
    // An empty batch is the wasm backend's (ONNX Runtime would be asked for a zero-size output).
    const empty = tf.conv2d(tf.zeros([0, 4, 4, 2]) as tf.Tensor4D, filter, 1, 'valid');
    expect(empty.shape).toEqual([0, 2, 2, 1]);
    expect(convolve).toHaveBeenCalledTimes(1);
    convolve.mockRestore();
    tf.dispose([x, filter, y, empty]);
  });
});
