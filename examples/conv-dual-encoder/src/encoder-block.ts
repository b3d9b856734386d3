import * as tf from '@tensorflow/tfjs-core';
import { LayerNorm, Linear, Module, MultiheadAttention, gelu, type MlpTransform, type SeededRandom } from '@harma/core';

/**
 * A pre-norm transformer block: `x + attn(ln_1(x))`, then `+ mlp(ln_2(·))`. The MLP branch output
 * passes through `mlpTransform` when one is attached — the site the `@harma/core` contract
 * exposes, where HarMA's adapters go. The block knows nothing about adapters.
 */
export class EncoderBlock extends Module {
  readonly ln_1: LayerNorm;
  readonly attn: MultiheadAttention;
  readonly ln_2: LayerNorm;
  readonly fc_in: Linear;
  readonly fc_out: Linear;
  mlpTransform: MlpTransform | undefined;

  constructor(readonly width: number, readonly heads: number, mlpRatio: number, rng?: SeededRandom) {
    super();
    this.ln_1 = this.register('ln_1', new LayerNorm(width));
    this.attn = this.register('attn', new MultiheadAttention(width, heads, { rng }));
    this.ln_2 = this.register('ln_2', new LayerNorm(width));
    this.fc_in = this.register('fc_in', new Linear(width, mlpRatio * width, { rng }));
    this.fc_out = this.register('fc_out', new Linear(mlpRatio * width, width, { rng }));
  }

  /** `x` [batch, tokens, width]; `mask` additive, broadcastable to [batch, heads, tokens, tokens]. */
  forward(x: tf.Tensor, mask?: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const attended = tf.add(x, this.attn.forward(this.ln_1.forward(x), { mask }));
      let branch = this.fc_out.forward(gelu(this.fc_in.forward(this.ln_2.forward(attended))));
      if (this.mlpTransform) branch = this.mlpTransform(branch);
      return tf.add(attended, branch);
    });
  }
}
