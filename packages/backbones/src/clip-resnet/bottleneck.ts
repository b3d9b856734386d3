import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, Module, type BatchNormOptions, type SeededRandom } from '@harma/core';

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
    return tf.tidy(() => this.bn.forward(this.conv.forward(this.stride > 1 ? tf.avgPool(x as tf.Tensor4D, this.stride, this.stride, 'valid') : x)));
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
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly conv3: Conv2d;
  readonly bn3: BatchNorm2d;
  readonly downsample: Downsample | undefined;

  constructor(inChannels: number, planes: number, readonly stride: number, batchNorm: BatchNormOptions, rng?: SeededRandom) {
    super();
    const out = planes * BOTTLENECK_EXPANSION;
    this.conv1 = this.register('conv1', new Conv2d(inChannels, planes, 1, { bias: false, rng }));
    this.bn1 = this.register('bn1', new BatchNorm2d(planes, batchNorm));
    this.conv2 = this.register('conv2', new Conv2d(planes, planes, 3, { padding: 1, bias: false, rng }));
    this.bn2 = this.register('bn2', new BatchNorm2d(planes, batchNorm));
    this.conv3 = this.register('conv3', new Conv2d(planes, out, 1, { bias: false, rng }));
    this.bn3 = this.register('bn3', new BatchNorm2d(out, batchNorm));
    // open_clip's init_parameters: each residual branch starts at zero.
    if (rng) tf.tidy(() => this.bn3.weight.assign(tf.zeros([out])));
    this.downsample = stride > 1 || inChannels !== out ? this.register('downsample', new Downsample(inChannels, out, stride, batchNorm, rng)) : undefined;
  }

  /** `x` [batch, h, w, in] → [batch, h/stride, w/stride, planes·4]. */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      let out = tf.relu(this.bn1.forward(this.conv1.forward(x)));
      out = tf.relu(this.bn2.forward(this.conv2.forward(out)));
      if (this.stride > 1) out = tf.avgPool(out as tf.Tensor4D, this.stride, this.stride, 'valid');
      out = this.bn3.forward(this.conv3.forward(out));
      const identity = this.downsample ? this.downsample.forward(x) : x;
      return tf.relu(tf.add(out, identity));
    });
  }
}
