import * as tf from '@tensorflow/tfjs-core';
import { Module, Parameter, linear, uniformTensor, linearDefaultBound, type SeededRandom } from '@harma/core';

/**
 * A convolution whose kernel equals its stride (non-overlapping patches), with PyTorch `nn.Conv2d`
 * parameters: `weight` [out, in, k, k], `bias` [out]. It is computed as a patch reshape and a
 * matrix product (core's `linear` reads a 4-D kernel as [out, in·k·k]), which every tfjs backend
 * differentiates and the ONNX exporter traces — no Conv2D kernel needed.
 */
export class PatchConv extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter;

  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernel: number, rng?: SeededRandom) {
    super();
    const bound = linearDefaultBound(inChannels * kernel * kernel);
    const init = (shape: number[]): tf.Tensor => (rng ? uniformTensor(shape, rng, -bound, bound) : tf.zeros(shape));
    this.weight = this.register('weight', new Parameter(init([outChannels, inChannels, kernel, kernel])));
    this.bias = this.register('bias', new Parameter(init([outChannels])));
  }

  /** Channels-last `x` [batch, height, width, in] → [batch, height / k, width / k, out]. */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [batch, height, width, channels] = x.shape as [number, number, number, number];
      const k = this.kernel;
      if (channels !== this.inChannels) throw new Error(`PatchConv: input has ${channels} channels, expected ${this.inChannels}`);
      if (height % k !== 0 || width % k !== 0) throw new Error(`PatchConv: ${height}×${width} is not divisible by the kernel ${k}`);
      const rows = height / k;
      const columns = width / k;
      // [b, rows, k, columns, k, c] → [b, rows, columns, c, k, k]: the (in, kh, kw) order of the kernel.
      const split = tf.reshape(x, [batch, rows, k, columns, k, channels]);
      const patches = tf.reshape(tf.transpose(split, [0, 1, 3, 5, 2, 4]), [batch, rows, columns, channels * k * k]);
      return linear(patches, this.weight, this.bias);
    });
  }
}
