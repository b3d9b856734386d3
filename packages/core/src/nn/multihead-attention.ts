import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module/module';
import { Parameter } from '../module/parameter';
import { uniformTensor, xavierUniformBound } from '../random/init';
import type { SeededRandom } from '../random/seeded-random';
import { Linear, linear } from './linear';
import { packedSelfAttention } from './packed-self-attention';

/**
 * Extra terms added to the query/key/value projections of self-attention, each [batch, tokens,
 * width], computed from the attention input [batch, tokens, width] (how LoRA attaches).
 */
export type AttentionProjectionDelta = (input: tf.Tensor) => { q?: tf.Tensor; k?: tf.Tensor; v?: tf.Tensor };

export interface MultiheadAttentionOptions {
  /** Random initialisation as PyTorch's `nn.MultiheadAttention`. Default: zeros (to be loaded). */
  rng?: SeededRandom;
}

export interface AttentionCallOptions {
  /** Additive mask [tokens, tokens] (−∞ blocks a position), broadcast over batch and heads. */
  mask?: tf.Tensor;
}

/**
 * Batch-first self-attention with PyTorch's parameters: packed `in_proj_weight` [3E, E] (q | k | v
 * rows) and `in_proj_bias` [3E], then `out_proj` (Linear E → E).
 */
export class MultiheadAttention extends Module {
  readonly inProjWeight: Parameter;
  readonly inProjBias: Parameter;
  readonly outProj: Linear;
  readonly headDim: number;
  /** Added to the q/k/v projections when set (see `AttentionProjectionDelta`). */
  projectionDelta: AttentionProjectionDelta | undefined;

  constructor(readonly embedDim: number, readonly heads: number, options: MultiheadAttentionOptions = {}) {
    super();
    if (embedDim % heads !== 0) throw new Error(`MultiheadAttention: width ${embedDim} is not divisible by ${heads} heads`);
    this.headDim = embedDim / heads;
    const bound = xavierUniformBound(embedDim, 3 * embedDim);
    const weight = options.rng ? uniformTensor([3 * embedDim, embedDim], options.rng, -bound, bound) : tf.zeros([3 * embedDim, embedDim]);
    this.inProjWeight = this.register('in_proj_weight', new Parameter(weight));
    this.inProjBias = this.register('in_proj_bias', new Parameter(tf.zeros([3 * embedDim])));
    this.outProj = this.register('out_proj', new Linear(embedDim, embedDim, { rng: options.rng }));
    if (options.rng) tf.tidy(() => this.outProj.bias?.assign(tf.zeros([embedDim])));
  }

  /** `x` [batch, tokens, width] → [batch, tokens, width]. */
  forward(x: tf.Tensor, options: AttentionCallOptions = {}): tf.Tensor {
    return tf.tidy(() => {
      const width = x.shape[2];
      if (x.rank !== 3 || width !== this.embedDim) throw new Error(`MultiheadAttention: input [${x.shape}], expected [batch, tokens, ${this.embedDim}]`);
      let packed = linear(x, this.inProjWeight, this.inProjBias);
      const delta = this.projectionDelta?.(x);
      if (delta?.q || delta?.k || delta?.v) {
        let [q, k, v] = tf.split(packed, 3, 2) as [tf.Tensor, tf.Tensor, tf.Tensor];
        if (delta.q) q = tf.add(q, delta.q);
        if (delta.k) k = tf.add(k, delta.k);
        if (delta.v) v = tf.add(v, delta.v);
        packed = tf.concat([q, k, v], 2);
      }
      return this.outProj.forward(packedSelfAttention(packed, this.heads, options.mask));
    });
  }
}

/** Additive causal mask [tokens, tokens]: 0 on and below the diagonal, −∞ above (as CLIP's text tower). */
export function causalMask(tokens: number): tf.Tensor2D {
  const values = new Float32Array(tokens * tokens);
  for (let row = 0; row < tokens; row++) values.fill(-Infinity, row * tokens + row + 1, (row + 1) * tokens);
  return tf.tensor2d(values, [tokens, tokens]);
}
