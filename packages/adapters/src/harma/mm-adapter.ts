import * as tf from '@tensorflow/tfjs-core';
import { Linear, Module, MultiheadAttention, Parameter, gelu, residualAdd, type SeededRandom } from '@harma/core';
import { GATE_INIT, type BiShareAdapter } from './bishare-adapter';

export interface MMadapterOptions {
  /** Width of the down-projection and of the adapter attention (official: 128). Default: 128. */
  bottleneck?: number;
  /** Heads of the adapter attention (official: 8). Default: 8. */
  heads?: number;
  /** A BiShareAdapter applied between the two attention passes (official: text tower only). */
  share?: BiShareAdapter;
  /** Draws the initial down-projection and attention weights (PyTorch's default schemes). Default: zeros. */
  rng?: SeededRandom;
  /** Initial gate value before the sigmoid. Default: 0.6. */
  gateInit?: number;
}

/**
 * HarMA's multimodal adapter on a block's MLP output `m` [batch, tokens, hidden]:
 * `z = gelu_erf(img_proj_down(m))`, `y = MHA(z)`, `y = share(y)` when it has one,
 * `y = MHA(y)` with the same attention module again, `g = sigmoid(gate1)`, and
 * `m + img_proj_up(g·z + (1 − g)·y)`. The attention has no mask (in the causal text tower too:
 * it sees every position, padding included), the GELU is the exact erf one whatever the backbone
 * uses, and `img_proj_up` starts at zero so a fresh adapter is the identity.
 */
export class MMadapter extends Module {
  readonly gate1: Parameter;
  readonly img_proj_down: Linear;
  readonly img_proj_up: Linear;
  readonly BiShareAdapterxx: BiShareAdapter | undefined;
  readonly multihead_attention: MultiheadAttention;
  readonly bottleneck: number;

  constructor(readonly hidden: number, options: MMadapterOptions = {}) {
    super();
    this.bottleneck = options.bottleneck ?? 128;
    const heads = options.heads ?? 8;
    if (!Number.isInteger(this.bottleneck) || this.bottleneck <= 0) throw new Error(`MMadapter: bottleneck ${this.bottleneck} must be a positive integer`);
    if (this.bottleneck % heads !== 0) throw new Error(`MMadapter: bottleneck ${this.bottleneck} is not divisible by ${heads} heads`);
    if (options.share && options.share.bottleneck !== this.bottleneck) {
      throw new Error(`MMadapter: the shared BiShareAdapter has bottleneck ${options.share.bottleneck}, the adapter ${this.bottleneck}`);
    }
    // Registration order gives the official state-dict order.
    this.gate1 = this.register('gate1', new Parameter(tf.scalar(options.gateInit ?? GATE_INIT)));
    this.img_proj_down = this.register('img_proj_down', new Linear(hidden, this.bottleneck, { rng: options.rng }));
    this.img_proj_up = this.register('img_proj_up', new Linear(this.bottleneck, hidden));
    this.BiShareAdapterxx = options.share ? this.register('BiShareAdapterxx', options.share) : undefined;
    this.multihead_attention = this.register('multihead_attention', new MultiheadAttention(this.bottleneck, heads, { rng: options.rng }));
  }

  /** `m` [batch, tokens, hidden] → [batch, tokens, hidden]. */
  forward(m: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const z = gelu(this.img_proj_down.forward(m));
      let y = this.multihead_attention.forward(z);
      if (this.BiShareAdapterxx) y = this.BiShareAdapterxx.forward(y);
      y = this.multihead_attention.forward(y);
      const g = tf.sigmoid(this.gate1.value);
      const mixed = tf.add(tf.mul(g, z), tf.mul(tf.sub(1, g), y));
      return residualAdd(m, this.img_proj_up.forward(mixed));
    });
  }
}

/**
 * The block-level gate on the MLP branch: `a·adapter(m) + (1 − a)·m` with `a = sigmoid(gate)`,
 * `m` [batch, tokens, hidden].
 */
export function gatedAdapterTransform(gate: Parameter, adapter: MMadapter): (m: tf.Tensor) => tf.Tensor {
  return (m) =>
    tf.tidy(() => {
      const a = tf.sigmoid(gate.value);
      // residualAdd: tf.add would keep both (activation-sized) terms alive for the backward pass.
      return residualAdd(tf.mul(a, adapter.forward(m)), tf.mul(tf.sub(1, a), m));
    });
}
