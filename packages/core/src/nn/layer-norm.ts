import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module/module';
import { Parameter } from '../module/parameter';
import { customGradient } from './custom-gradient';

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

  /**
   * `x` [..., width] → same shape; biased variance, as PyTorch. One custom-gradient op that keeps
   * x̂ and 1/σ for the backward pass (composed of tfjs ops it kept four tensors of x's size) and
   * differentiates the affine parameters only when they train.
   */
  forward(x: tf.Tensor): tf.Tensor {
    const { weight, bias, eps } = this;
    const learns = [weight, bias].filter((p) => p.trainable);
    const op = customGradient<tf.Tensor[]>((...args) => {
      const save = args.pop() as unknown as tf.GradSaveFunc;
      const input = args[0] as tf.Tensor;
      const centered = tf.sub(input, tf.mean(input, -1, true));
      const inverseStd = tf.rsqrt(tf.add(tf.mean(tf.square(centered), -1, true), eps));
      const normalized = tf.mul(centered, inverseStd);
      save([normalized, inverseStd]);
      return {
        value: tf.add(tf.mul(normalized, weight.value), bias.value),
        gradFunc: (dy, saved) => {
          const [xHat, scale] = saved as [tf.Tensor, tf.Tensor];
          // dx = (g − mean(g) − x̂·mean(g·x̂)) / σ with g = dy·γ.
          const g = tf.mul(dy, weight.value);
          const dx = tf.mul(tf.sub(tf.sub(g, tf.mean(g, -1, true)), tf.mul(xHat, tf.mean(tf.mul(g, xHat), -1, true))), scale);
          const rows = dy.shape.slice(0, -1).map((_, axis) => axis);
          const grads = [dx];
          if (weight.trainable) grads.push(tf.sum(tf.mul(dy, xHat), rows));
          if (bias.trainable) grads.push(tf.sum(dy, rows));
          return grads;
        },
      };
    });
    return tf.tidy(() => op(x, ...learns.map((p) => p.value)));
  }
}
