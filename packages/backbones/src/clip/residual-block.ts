import * as tf from '@tensorflow/tfjs-core';
import {
  LayerNorm,
  Linear,
  Module,
  MultiheadAttention,
  activation,
  normalTensor,
  residualAdd,
  type ActivationName,
  type MlpTransform,
  type SeededRandom,
} from '@harma/core';

/**
 * Random initialisation of a block. Without the standard deviations every layer keeps PyTorch's
 * default initialisation (open_clip's image tower); with them the weights are normal as open_clip's
 * `CLIP.init_parameters` draws the text tower's.
 */
export interface BlockInit {
  rng: SeededRandom;
  /** std of `attn.in_proj_weight`. */
  attnStd?: number;
  /** std of `attn.out_proj.weight` and `mlp.c_proj.weight`. */
  projStd?: number;
  /** std of `mlp.c_fc.weight`. */
  fcStd?: number;
}

export interface ResidualBlockOptions {
  width: number;
  heads: number;
  /** Hidden width of the MLP. */
  mlpWidth: number;
  activation: ActivationName;
  layerNormEps: number;
  /** Random initialisation; zeros (to be loaded) without it. */
  init?: BlockInit;
}

/** The MLP of a block: `c_proj(act(c_fc(x)))`, named as open_clip's `mlp.c_fc` / `mlp.c_proj`. */
export class ClipMlp extends Module {
  readonly cFc: Linear;
  readonly cProj: Linear;
  readonly #activation: (x: tf.Tensor) => tf.Tensor;

  constructor(width: number, hidden: number, activationName: ActivationName, init?: BlockInit) {
    super();
    this.cFc = this.register('c_fc', new Linear(width, hidden, { rng: init?.rng }));
    this.cProj = this.register('c_proj', new Linear(hidden, width, { rng: init?.rng }));
    this.#activation = activation(activationName);
    // tf.tidy frees the drawn tensors once the parameters share their data.
    const { fcStd, projStd } = init ?? {};
    if (init && fcStd !== undefined) tf.tidy(() => this.cFc.weight.assign(normalTensor([hidden, width], init.rng, fcStd)));
    if (init && projStd !== undefined) tf.tidy(() => this.cProj.weight.assign(normalTensor([width, hidden], init.rng, projStd)));
  }

  /** `x` [batch, tokens, width] → same shape. */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.cProj.forward(this.#activation(this.cFc.forward(x))));
  }
}

/**
 * open_clip's `ResidualAttentionBlock`: `x = x + attn(ln_1(x))`, `m = mlp(ln_2(x))`, `m =
 * transform(m)` when an adapter set one, `x = x + m`. Tokens are batch-first [batch, tokens, width].
 */
export class ResidualAttentionBlock extends Module {
  readonly ln1: LayerNorm;
  readonly attn: MultiheadAttention;
  readonly ln2: LayerNorm;
  readonly mlp: ClipMlp;
  /** Applied to the MLP branch output before the residual add (the plug-in site). */
  mlpTransform: MlpTransform | undefined;

  constructor(readonly options: ResidualBlockOptions) {
    super();
    const { width, heads, init } = options;
    const eps = options.layerNormEps;
    this.ln1 = this.register('ln_1', new LayerNorm(width, { eps }));
    this.attn = this.register('attn', new MultiheadAttention(width, heads, { rng: init?.rng }));
    const { attnStd, projStd } = init ?? {};
    if (init && attnStd !== undefined) tf.tidy(() => this.attn.inProjWeight.assign(normalTensor([3 * width, width], init.rng, attnStd)));
    if (init && projStd !== undefined) tf.tidy(() => this.attn.outProj.weight.assign(normalTensor([width, width], init.rng, projStd)));
    this.ln2 = this.register('ln_2', new LayerNorm(width, { eps }));
    this.mlp = this.register('mlp', new ClipMlp(width, options.mlpWidth, options.activation, init));
  }

  /** `x` [batch, tokens, width] → same shape; `mask` [tokens, tokens] additive (the text tower's causal mask). */
  forward(x: tf.Tensor, mask?: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      // residualAdd: tf.add would keep both terms alive for the backward pass.
      const attended = residualAdd(x, this.attn.forward(this.ln1.forward(x), { mask }));
      let branch = this.mlp.forward(this.ln2.forward(attended));
      if (this.mlpTransform) {
        const transformed = this.mlpTransform(branch);
        if (!tf.util.arraysEqual(transformed.shape, branch.shape)) {
          throw new Error(`MLP transform returned shape [${transformed.shape}], expected [${branch.shape}]`);
        }
        branch = transformed;
      }
      return residualAdd(attended, branch);
    });
  }
}
