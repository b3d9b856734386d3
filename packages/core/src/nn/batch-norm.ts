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
 * it is given — mean and biased variance over every axis but the last (the first is the batch) —
 * and updates the running ones on every call, whether or not anything trains: `running_mean ←
 * (1 − m)·running_mean + m·mean`, `running_var ← (1 − m)·running_var + m·var·n/(n − 1)` (the
 * unbiased variance over the n values per channel), `num_batches_tracked += 1`. A batch may also
 * come in chunks of rows (`forwardChunks`), with the same numbers.
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

  /** `x` [batch, ..., channels] → same shape. */
  forward(x: tf.Tensor): tf.Tensor {
    if (!this.training) {
      this.#checkInput(x);
      // (x − mean)·γ/σ + β as one scale and one shift per channel.
      return tf.tidy(() => {
        const scale = tf.mul(this.weight.value, tf.rsqrt(tf.add(this.runningVar.value, this.eps)));
        const shift = tf.sub(this.bias.value, tf.mul(this.runningMean.value, scale));
        return tf.add(tf.mul(x, scale), shift);
      });
    }
    return this.forwardChunks([x])[0] as tf.Tensor;
  }

  /**
   * The rows of one batch given in consecutive chunks ([rows_i, ..., channels] each) → each chunk's
   * output, exactly the numbers `forward` gives on their concatenation, and in training mode one
   * update of the running statistics. The chunks stay the caller's unless `consume`, which
   * disposes each one as soon as its output exists (so that a batch is held about once, not
   * twice). This is how a batch too large for memory in one piece is normalised with its
   * statistics (`ModifiedResNet` streams it).
   *
   * The statistics are summed per row first (over every axis but the first and the last), then
   * over the rows, in row order — a sum that does not depend on where the chunks are cut — and
   * the variance is the mean squared distance to the mean, a second pass.
   */
  forwardChunks(chunks: readonly tf.Tensor[], consume = false): tf.Tensor[] {
    if (chunks.length === 0) throw new Error('BatchNorm2d: no chunks');
    for (const chunk of chunks) this.#checkInput(chunk);
    const each = (f: (chunk: tf.Tensor) => tf.Tensor): tf.Tensor[] =>
      chunks.map((chunk) => {
        const out = f(chunk);
        if (consume) chunk.dispose();
        return out;
      });
    if (!this.training) return each((chunk) => this.forward(chunk));
    const count = chunks.reduce((sum, chunk) => sum + chunk.size, 0) / this.channels;
    if (count < 2) throw new Error(`BatchNorm2d: training mode needs more than one value per channel, got input [${chunks[0]?.shape}]`);
    const { scale, shift } = tf.tidy(() => {
      const rowSums = (transform: (chunk: tf.Tensor) => tf.Tensor): tf.Tensor =>
        tf.sum(tf.concat(chunks.map((chunk) => tf.tidy(() => perRowSum(transform(chunk)))), 0), 0);
      const batchMean = tf.div(rowSums((chunk) => chunk), count);
      const variance = tf.div(rowSums((chunk) => tf.square(tf.sub(chunk, batchMean))), count);
      this.#updateRunningStatistics(batchMean, variance, count);
      // (x − mean)·γ/σ + β as one scale and one shift per channel: two passes over a chunk, not four.
      const channelScale = tf.mul(this.weight.value, tf.rsqrt(tf.add(variance, this.eps)));
      return { scale: channelScale, shift: tf.sub(this.bias.value, tf.mul(batchMean, channelScale)) };
    });
    try {
      return each((chunk) => tf.tidy(() => tf.add(tf.mul(chunk, scale), shift)));
    } finally {
      tf.dispose([scale, shift]);
    }
  }

  #checkInput(x: tf.Tensor): void {
    if (x.rank < 2 || x.shape[x.rank - 1] !== this.channels) throw new Error(`BatchNorm2d: input [${x.shape}], expected [batch, ..., ${this.channels}] (channels last)`);
  }

  #updateRunningStatistics(mean: tf.Tensor, variance: tf.Tensor, count: number): void {
    const m = this.momentum;
    // Off every path to a loss, so a gradient computation never differentiates these updates.
    this.runningMean.assign(tf.add(tf.mul(this.runningMean.value, 1 - m), tf.mul(mean, m)));
    this.runningVar.assign(tf.add(tf.mul(this.runningVar.value, 1 - m), tf.mul(variance, (m * count) / (count - 1))));
    this.numBatchesTracked.assign(tf.add(this.numBatchesTracked.value, tf.scalar(1, 'int32')));
  }
}

/**
 * `x` [rows, ..., channels] → [rows, channels], summed over the axes between: a product of a row
 * of ones with each row seen as [positions, channels]. A batched product sums every row on its
 * own, whatever rows come with it (a reduction kernel may sum a lone row in another order than a
 * row among others: ONNX Runtime's does), and runs on the fastest kernels of each engine.
 */
function perRowSum(x: tf.Tensor): tf.Tensor {
  if (x.rank === 2) return x;
  const [rows, channels] = [x.shape[0] as number, x.shape[x.rank - 1] as number];
  const positions = x.size / (rows * channels);
  return tf.reshape(tf.matMul(tf.ones([1, 1, positions]), tf.reshape(x, [rows, positions, channels])), [rows, channels]);
}
