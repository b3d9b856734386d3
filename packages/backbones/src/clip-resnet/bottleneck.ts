import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, Module, type BatchNormOptions, type SeededRandom } from '@harma/core';
import { convBatchNorm, registerConvBatchNorms, type ConvBatchNorm } from './conv-batch-norm';
import { joinRows, mapRows, type RowChunks } from './row-chunks';

/** Output channels of a Bottleneck are its `planes` times this (open_clip's `Bottleneck.expansion`). */
export const BOTTLENECK_EXPANSION = 4;

/**
 * The shortcut of a Bottleneck whose shape changes, open_clip's `downsample` Sequential:
 * `avgpool(stride)` (no parameters, index −1 in open_clip), `0` the 1×1 convolution, `1` its BatchNorm.
 */
export class Downsample extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;

  constructor(inChannels: number, outChannels: number, readonly stride: number, batchNorm: BatchNormOptions, rng?: SeededRandom) {
    super();
    this.conv = this.register('0', new Conv2d(inChannels, outChannels, 1, { bias: false, rng }));
    this.bn = this.register('1', new BatchNorm2d(outChannels, batchNorm));
  }

  /** `x` [batch, h, w, in] → [batch, h/stride, w/stride, out]. */
  forward(x: tf.Tensor): tf.Tensor {
    return joinRows(this.forwardChunks([x], true));
  }

  /** The same over a batch in chunks (see `RowChunks`); disposes them unless `keep`. */
  forwardChunks(chunks: RowChunks, keep = false): RowChunks {
    const pooled = this.stride > 1 ? mapRows(chunks, (chunk) => tf.avgPool(chunk as tf.Tensor4D, this.stride, this.stride, 'valid'), keep) : chunks;
    return convBatchNorm({ conv: this.conv, bn: this.bn }, pooled, { relu: false, keep: keep && pooled === chunks });
  }
}

/**
 * open_clip's `Bottleneck` (ModifiedResNet), channels-last: 1×1 conv → BN → ReLU → 3×3 conv
 * (padding 1) → BN → ReLU → `avgpool(stride)` when stride > 1 (the anti-aliased downsampling:
 * every convolution has stride 1) → 1×1 conv to planes·4 channels → BN; plus the shortcut (the
 * input, or `downsample` when the shape changes); ReLU. Names are open_clip's: `conv1`, `bn1`,
 * `conv2`, `bn2`, `conv3`, `bn3`, `downsample.{0,1}`.
 */
export class Bottleneck extends Module {
  /** `conv1`/`bn1` (1×1 to planes), `conv2`/`bn2` (3×3), `conv3`/`bn3` (1×1 to planes·4). */
  readonly layers: readonly [ConvBatchNorm, ConvBatchNorm, ConvBatchNorm];
  readonly downsample: Downsample | undefined;

  constructor(inChannels: number, planes: number, readonly stride: number, batchNorm: BatchNormOptions, rng?: SeededRandom) {
    super();
    const out = planes * BOTTLENECK_EXPANSION;
    const shapes = [
      { inChannels, outChannels: planes, kernel: 1 },
      { inChannels: planes, outChannels: planes, kernel: 3, padding: 1 },
      { inChannels: planes, outChannels: out, kernel: 1 },
    ];
    this.layers = registerConvBatchNorms(this, shapes, batchNorm, rng) as [ConvBatchNorm, ConvBatchNorm, ConvBatchNorm];
    // open_clip's init_parameters: each residual branch starts at zero.
    if (rng) tf.tidy(() => this.layers[2].bn.weight.assign(tf.zeros([out])));
    this.downsample = stride > 1 || inChannels !== out ? this.register('downsample', new Downsample(inChannels, out, stride, batchNorm, rng)) : undefined;
  }

  /** `x` [batch, h, w, in] → [batch, h/stride, w/stride, planes·4]. */
  forward(x: tf.Tensor): tf.Tensor {
    return joinRows(this.forwardChunks([x], true));
  }

  /**
   * The same over a batch in chunks (see `RowChunks`): every BatchNorm sees the statistics of the
   * whole batch. Disposes the chunks unless `keep`; each intermediate is freed as soon as the next
   * exists, so the peak is about three batch-sized activations (input, branch, shortcut).
   */
  forwardChunks(chunks: RowChunks, keep = false): RowChunks {
    const [first, second, third] = this.layers;
    let branch = convBatchNorm(second, convBatchNorm(first, chunks, { keep: true }));
    if (this.stride > 1) branch = mapRows(branch, (chunk) => tf.avgPool(chunk as tf.Tensor4D, this.stride, this.stride, 'valid'));
    branch = convBatchNorm(third, branch, { relu: false });
    const identity = this.downsample ? this.downsample.forwardChunks(chunks, true) : chunks;
    // Each chunk of the branch and the shortcut is freed as soon as its sum exists.
    const out = branch.map((chunk, i) => {
      const sum = tf.tidy(() => tf.relu(tf.add(chunk, identity[i] as tf.Tensor)));
      chunk.dispose();
      if (identity !== chunks || !keep) identity[i]?.dispose();
      return sum;
    });
    if (identity !== chunks && !keep) tf.dispose(chunks);
    return out;
  }
}
