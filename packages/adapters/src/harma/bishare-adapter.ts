import * as tf from '@tensorflow/tfjs-core';
import { Linear, Module, MultiheadAttention, Parameter, residualAdd, type SeededRandom } from '@harma/core';

/** Initial value of every HarMA gate (before the sigmoid), as the official model. */
export const GATE_INIT = 0.6;

export interface BiShareAdapterOptions {
  /** Attention heads over the half-width features (official: 8). Default: 8. */
  heads?: number;
  /** Draws the initial `l1` and attention weights (PyTorch's default schemes). Default: zeros. */
  rng?: SeededRandom;
  /** Initial gate value before the sigmoid. Default: 0.6. */
  gateInit?: number;
}

/**
 * The shared adapter inside a text-tower MMadapter: `y + l2(g·MHA1(h) + (1 − g)·h)` with
 * `h = l1(y)` (bottleneck → bottleneck/2) and `g = sigmoid(gate1)`. There is no activation
 * anywhere (the official code computes a GELU whose result it never uses), the attention has no
 * mask, and `l2` starts at zero so a fresh adapter is the identity.
 */
export class BiShareAdapter extends Module {
  readonly gate1: Parameter;
  readonly l1: Linear;
  readonly l2: Linear;
  readonly multihead_attention1: MultiheadAttention;
  /** Width of `h`, the attention width: half the bottleneck. */
  readonly innerWidth: number;

  constructor(readonly bottleneck: number, options: BiShareAdapterOptions = {}) {
    super();
    if (!Number.isInteger(bottleneck) || bottleneck < 2 || bottleneck % 2 !== 0) {
      throw new Error(`BiShareAdapter: bottleneck ${bottleneck} must be an even integer ≥ 2 (its attention runs at half width)`);
    }
    const heads = options.heads ?? 8;
    this.innerWidth = bottleneck / 2;
    if (this.innerWidth % heads !== 0) {
      throw new Error(`BiShareAdapter: attention width ${this.innerWidth} (bottleneck/2) is not divisible by ${heads} heads`);
    }
    // Registration order gives the official state-dict order: gate1, l1, l2, multihead_attention1.
    this.gate1 = this.register('gate1', new Parameter(tf.scalar(options.gateInit ?? GATE_INIT)));
    this.l1 = this.register('l1', new Linear(bottleneck, this.innerWidth, { rng: options.rng }));
    this.l2 = this.register('l2', new Linear(this.innerWidth, bottleneck));
    this.multihead_attention1 = this.register('multihead_attention1', new MultiheadAttention(this.innerWidth, heads, { rng: options.rng }));
  }

  /** `y` [batch, tokens, bottleneck] → [batch, tokens, bottleneck]. */
  forward(y: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const h = this.l1.forward(y);
      const attended = this.multihead_attention1.forward(h);
      const g = tf.sigmoid(this.gate1.value);
      const mixed = tf.add(tf.mul(g, attended), tf.mul(tf.sub(1, g), h));
      return residualAdd(y, this.l2.forward(mixed));
    });
  }
}
