import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module/module';
import { ModuleBuffer } from '../module/module-buffer';
import { Parameter } from '../module/parameter';

export interface BatchNormOptions {
  /** Added to the variance. Default: 1e-5 (PyTorch). */
  eps?: number;
  /** Weight of the batch in the running statistics: `running = (1 − m)·running + m·batch`. Default: 0.1 (PyTorch). */
  momentum?: number;
}

/**
 * PyTorch's `BatchNorm2d` over channels-last input [..., channels] (tfjs's convolution layout):
 * parameters `weight` (ones) and `bias` (zeros), buffers `running_mean` (zeros), `running_var`
 * (ones) and `num_batches_tracked` (0; int64 in PyTorch, int32 here), all named as PyTorch's.
 *
 * In evaluation mode (`training` false, the default) it normalises with the running statistics.
 * In training mode, as PyTorch's `module.train()`, it normalises with the statistics of the batch
 * it is given — mean and biased variance over every axis but the last — and updates the running
 * ones on every call, whether or not anything trains: `running_mean ← (1 − m)·running_mean +
 * m·mean`, `running_var ← (1 − m)·running_var + m·var·n/(n − 1)` (the unbiased variance over the
 * n values per channel), `num_batches_tracked += 1`.
 */
export class BatchNorm2d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter;
  readonly runningMean: ModuleBuffer;
  readonly runningVar: ModuleBuffer;
  readonly numBatchesTracked: ModuleBuffer;
  readonly eps: number;
  readonly momentum: number;
  /** Normalise with the batch's statistics and update the running ones (PyTorch's `train()`). Default: false. */
  training = false;

  constructor(readonly channels: number, options: BatchNormOptions = {}) {
    super();
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum ?? 0.1;
    this.weight = this.register('weight', new Parameter(tf.ones([channels])));
    this.bias = this.register('bias', new Parameter(tf.zeros([channels])));
    this.runningMean = this.register('running_mean', new ModuleBuffer(tf.zeros([channels])));
    this.runningVar = this.register('running_var', new ModuleBuffer(tf.ones([channels])));
    this.numBatchesTracked = this.register('num_batches_tracked', new ModuleBuffer(tf.scalar(0, 'int32')));
  }

  /** `x` [..., channels] → same shape. */
  forward(x: tf.Tensor): tf.Tensor {
    if (x.shape[x.rank - 1] !== this.channels) throw new Error(`BatchNorm2d: input [${x.shape}], expected [..., ${this.channels}] (channels last)`);
    if (!this.training) {
      // (x − mean)·γ/σ + β as one scale and one shift per channel.
      return tf.tidy(() => {
        const scale = tf.mul(this.weight.value, tf.rsqrt(tf.add(this.runningVar.value, this.eps)));
        const shift = tf.sub(this.bias.value, tf.mul(this.runningMean.value, scale));
        return tf.add(tf.mul(x, scale), shift);
      });
    }
    const count = x.size / this.channels;
    if (count < 2) throw new Error(`BatchNorm2d: training mode needs more than one value per channel, got input [${x.shape}]`);
    return tf.tidy(() => {
      const axes = x.shape.slice(0, -1).map((_, axis) => axis);
      const mean = tf.mean(x, axes);
      const centered = tf.sub(x, mean);
      const variance = tf.mean(tf.square(centered), axes);
      this.#updateRunningStatistics(mean, variance, count);
      return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, this.eps))), this.weight.value), this.bias.value);
    });
  }

  #updateRunningStatistics(mean: tf.Tensor, variance: tf.Tensor, count: number): void {
    const m = this.momentum;
    // Off every path to a loss, so a gradient computation never differentiates these updates.
    this.runningMean.assign(tf.add(tf.mul(this.runningMean.value, 1 - m), tf.mul(mean, m)));
    this.runningVar.assign(tf.add(tf.mul(this.runningVar.value, 1 - m), tf.mul(variance, (m * count) / (count - 1))));
    this.numBatchesTracked.assign(tf.add(this.numBatchesTracked.value, tf.scalar(1, 'int32')));
  }
}
