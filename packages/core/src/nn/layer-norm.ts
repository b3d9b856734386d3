import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module/module';
import { Parameter } from '../module/parameter';

export interface LayerNormOptions {
  /** Added to the variance. Default: 1e-5 (PyTorch). */
  eps?: number;
}

/** Layer normalisation over the last dimension with `weight` (ones) and `bias` (zeros), both [width]. */
export class LayerNorm extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter;
  readonly eps: number;

  constructor(readonly width: number, options: LayerNormOptions = {}) {
    super();
    this.eps = options.eps ?? 1e-5;
    this.weight = this.register('weight', new Parameter(tf.ones([width])));
    this.bias = this.register('bias', new Parameter(tf.zeros([width])));
  }

  /** `x` [..., width] → same shape; biased variance, as PyTorch. */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const mean = tf.mean(x, -1, true);
      const centered = tf.sub(x, mean);
      const variance = tf.mean(tf.square(centered), -1, true);
      const normalized = tf.mul(centered, tf.rsqrt(tf.add(variance, this.eps)));
      return tf.add(tf.mul(normalized, this.weight.value), this.bias.value);
    });
  }
}
