import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module/module';
import { Parameter } from '../module/parameter';
import { linearDefaultBound, uniformTensor } from '../random/init';
import type { SeededRandom } from '../random/seeded-random';
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
      const y = tf.conv2d(x as tf.Tensor4D, this.#kernel() as tf.Tensor4D, this.stride, this.padding);
      return this.bias ? tf.add(y, this.bias.value) : y;
    });
  }

  /** The weight as tfjs's filter [k, k, in, out]: cached while frozen, recorded from the weight while it trains. */
  #kernel(): tf.Tensor {
    const rearrange = (): tf.Tensor => tf.transpose(this.weight.value, [2, 3, 1, 0]);
    if (this.weight.trainable || !this.weight.keepTransposed) return rearrange();
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
