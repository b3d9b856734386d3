import * as tf from '@tensorflow/tfjs-core';
import { Linear, Module, Parameter, linear, normalTensor, type SeededRandom } from '@harma/core';

/**
 * open_clip's `AttentionPool2d`: the last feature map [batch, h, w, width] becomes h·w tokens, the
 * mean of them is prepended, `positional_embedding` [h·w + 1, width] is added, and multi-head
 * attention with separate `q_proj`, `k_proj`, `v_proj` (where only the mean token queries) and
 * `c_proj` gives that token's output [batch, outputDim]: the image feature.
 */
export class AttentionPool2d extends Module {
  readonly positionalEmbedding: Parameter;
  readonly kProj: Linear;
  readonly qProj: Linear;
  readonly vProj: Linear;
  readonly cProj: Linear;
  readonly headDim: number;

  constructor(readonly grid: number, readonly width: number, readonly heads: number, outputDim: number, rng?: SeededRandom) {
    super();
    if (width % heads !== 0) throw new Error(`AttentionPool2d: width ${width} is not divisible by ${heads} heads`);
    this.headDim = width / heads;
    const tokens = grid * grid + 1;
    this.positionalEmbedding = this.register('positional_embedding', new Parameter(rng ? normalTensor([tokens, width], rng, width ** -0.5) : tf.zeros([tokens, width])));
    this.kProj = this.register('k_proj', new Linear(width, width, { rng }));
    this.qProj = this.register('q_proj', new Linear(width, width, { rng }));
    this.vProj = this.register('v_proj', new Linear(width, width, { rng }));
    this.cProj = this.register('c_proj', new Linear(width, outputDim, { rng }));
    // open_clip's ModifiedResNet.init_parameters: normal weights, std = c_proj.in_features^-0.5.
    if (rng) {
      tf.tidy(() => {
        for (const projection of [this.qProj, this.kProj, this.vProj, this.cProj]) {
          projection.weight.assign(normalTensor(projection.weight.shape, rng, width ** -0.5));
        }
      });
    }
  }

  /** `x` [batch, grid, grid, width] (channels last) → [batch, outputDim]. */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [batch, height, widthCells, channels] = x.shape as [number, number, number, number];
      if (channels !== this.width || height !== this.grid || widthCells !== this.grid) {
        throw new Error(`AttentionPool2d: input [${x.shape}], expected [batch, ${this.grid}, ${this.grid}, ${this.width}]`);
      }
      const tokens = tf.reshape(x, [batch, height * widthCells, channels]);
      const sequence = tf.add(tf.concat([tf.mean(tokens, 1, true), tokens], 1), this.positionalEmbedding.value);
      const length = height * widthCells + 1;
      const split = (t: tf.Tensor, rows: number): tf.Tensor => tf.transpose(tf.reshape(t, [batch, rows, this.heads, this.headDim]), [0, 2, 1, 3]);
      const q = split(linear(tf.slice(sequence, [0, 0, 0], [batch, 1, channels]), this.qProj.weight, this.qProj.bias), 1);
      const k = split(linear(sequence, this.kProj.weight, this.kProj.bias), length);
      const v = split(linear(sequence, this.vProj.weight, this.vProj.bias), length);
      const weights = tf.softmax(tf.mul(tf.matMul(q, k, false, true), this.headDim ** -0.5));
      const pooled = tf.reshape(tf.transpose(tf.matMul(weights, v), [0, 2, 1, 3]), [batch, channels]);
      return this.cProj.forward(pooled);
    });
  }
}
