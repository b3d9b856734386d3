import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module/module';
import { Parameter } from '../module/parameter';
import { linearDefaultBound, uniformTensor } from '../random/init';
import type { SeededRandom } from '../random/seeded-random';
import { customGradient } from './custom-gradient';
import { linear } from './linear';

export interface Conv2dOptions {
  /** Step of the kernel over height and width. Default: 1. */
  stride?: number;
  /** Zeros added on every side of height and width. Default: 0. */
  padding?: number;
  /** Learn an additive bias [out]. Default: true (PyTorch's). */
  bias?: boolean;
  /** Draw PyTorch's default initialisation, U(±1/√(in·k·k)), from this stream. Default: zeros (to be loaded). */
  rng?: SeededRandom;
}

/**
 * A 2-D convolution with PyTorch's parameters — `weight` [out, in, k, k] (the state-dict layout),
 * `bias` [out] — over channels-last input [batch, height, width, in], the layout tfjs convolves
 * (its wasm backend has no other). A 1×1 convolution with stride 1 is a product over the channel
 * axis, computed by `linear` (matrix products are the fastest kernels of every engine); larger
 * kernels by `tf.conv2d` on the weight rearranged to tfjs's [k, k, in, out]. A frozen weight keeps
 * that rearranged copy until its value changes (unless `Parameter.keepTransposed` is off).
 *
 * A trainable weight is differentiated by `conv2dWithGradient`, whose filter gradient is itself a
 * convolution: tfjs's own needs `Conv2DBackpropFilter`, a kernel the wasm backend does not have.
 */
export class Conv2d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | undefined;
  readonly stride: number;
  readonly padding: number;
  /** The frozen weight as [k, k, in, out], with the tensor data it was made from. */
  #filter: { source: object; filter: tf.Tensor } | undefined;

  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernelSize: number, options: Conv2dOptions = {}) {
    super();
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 0;
    const bound = linearDefaultBound(inChannels * kernelSize * kernelSize);
    const init = (shape: number[]): tf.Tensor => (options.rng ? uniformTensor(shape, options.rng, -bound, bound) : tf.zeros(shape));
    this.weight = this.register('weight', new Parameter(init([outChannels, inChannels, kernelSize, kernelSize])));
    this.bias = options.bias === false ? undefined : this.register('bias', new Parameter(init([outChannels])));
  }

  /** `x` [batch, height, width, in] → [batch, height', width', out] (PyTorch's output size, floor division). */
  forward(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 4 || x.shape[3] !== this.inChannels) {
      throw new Error(`Conv2d: input [${x.shape}], expected channels-last [batch, height, width, ${this.inChannels}]`);
    }
    if (this.kernelSize === 1 && this.stride === 1 && this.padding === 0) return linear(x, this.weight, this.bias);
    return tf.tidy(() => {
      const y = this.weight.trainable
        ? conv2dWithGradient(x, this.weight.value, this.stride, this.padding)
        : tf.conv2d(x as tf.Tensor4D, this.#kernel() as tf.Tensor4D, this.stride, this.padding);
      return this.bias ? tf.add(y, this.bias.value) : y;
    });
  }

  /** The frozen weight as tfjs's filter [k, k, in, out], cached while it keeps its value. */
  #kernel(): tf.Tensor {
    const rearrange = (): tf.Tensor => tf.transpose(this.weight.value, [2, 3, 1, 0]);
    if (!this.weight.keepTransposed) return rearrange();
    // A Variable's data changes identity on every assign: the cached copy is valid while it stays.
    const source = this.weight.value.dataId;
    if (this.#filter?.source !== source) {
      this.#filter?.filter.dispose();
      this.#filter = { source, filter: tf.keep(tf.tidy(rearrange)) };
    }
    return this.#filter.filter;
  }

  override dispose(): void {
    super.dispose();
    this.#filter?.filter.dispose();
    this.#filter = undefined;
  }
}

/**
 * `tf.conv2d` of channels-last `x` [batch, h, w, in] with a PyTorch-layout `weight` [out, in, k, k]
 * (zero `padding` on every side, square `stride`), differentiable w.r.t. both on every backend.
 *
 * The input gradient is tfjs's transposed convolution. The weight gradient,
 * dW[o, c, i, j] = Σ x_padded[b, y·s + i, x·s + j, c] · dy[b, y, x, o], is a convolution of the
 * padded input seen as [in, h, w, batch] with dy seen as a filter [h', w', batch, out], dilated by
 * the stride, cut to k × k: kernels every backend has (the wasm backend lacks
 * `Conv2DBackpropFilter`, which tfjs's own gradient calls).
 *
 * @returns [batch, h', w', out]
 */
export function conv2dWithGradient(x: tf.Tensor, weight: tf.Tensor, stride: number, padding: number): tf.Tensor {
  const [, , kernel] = weight.shape as [number, number, number, number];
  const op = customGradient<[tf.Tensor, tf.Tensor]>((input, w, save) => {
    const filter = tf.transpose(w, [2, 3, 1, 0]) as tf.Tensor4D;
    save([input, filter]);
    return {
      value: tf.conv2d(input as tf.Tensor4D, filter, stride, padding),
      gradFunc: (dy, [saved, savedFilter]) => {
        const xs = saved as tf.Tensor4D;
        const dx = tf.conv2dTranspose(dy as tf.Tensor4D, savedFilter as tf.Tensor4D, xs.shape, stride, padding);
        const padded = padding > 0 ? tf.pad(xs, [[0, 0], [padding, padding], [padding, padding], [0, 0]]) : xs;
        const byChannel = tf.transpose(padded, [3, 1, 2, 0]) as tf.Tensor4D;
        const dyFilter = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D;
        const full = tf.conv2d(byChannel, dyFilter, 1, 'valid', 'NHWC', stride);
        const cut = tf.slice(full, [0, 0, 0, 0], [byChannel.shape[0], kernel, kernel, dy.shape[3] as number]);
        return [dx, tf.transpose(cut, [3, 0, 1, 2])];
      },
    };
  });
  return op(x, weight);
}
