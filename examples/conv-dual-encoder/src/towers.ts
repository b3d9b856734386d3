import * as tf from '@tensorflow/tfjs-core';
import { Embedding, LayerNorm, Linear, Module, Parameter, normalTensor, type EncodeOptions, type OutputTransform, type SeededRandom } from '@harma/core';
import { visionTokens, type ConvDualEncoderConfig } from './config';
import { EncoderBlock } from './encoder-block';
import { PatchConv } from './patch-conv';

/** Additive attention bias for padded keys: a finite −1e9 rather than −∞, so no 0·∞ appears. */
const MASKED = -1e9;

function l2Normalize(features: tf.Tensor, options: EncodeOptions): tf.Tensor {
  if (options.normalize === false) return features;
  return tf.div(features, tf.norm(features, 'euclidean', -1, true));
}

function blockList(owner: Module, width: number, heads: number, mlpRatio: number, layers: number, rng?: SeededRandom): EncoderBlock[] {
  const list = owner.register('blocks', new Module());
  return Array.from({ length: layers }, (_, i) => list.register(String(i), new EncoderBlock(width, heads, mlpRatio, rng)));
}

/**
 * The image tower: a stem of patch convolutions (ReLU between them) turns the image into a grid of
 * tokens, learned positions are added, transformer blocks mix them, and the tokens are averaged —
 * no class token — before `ln_post` and the projection into the shared space.
 */
export class VisionTower extends Module {
  readonly stem: PatchConv[];
  readonly positional_embedding: Parameter;
  readonly blocks: EncoderBlock[];
  readonly ln_post: LayerNorm;
  readonly proj: Linear;
  readonly tokens: number;
  outputTransform: OutputTransform | undefined;

  constructor(readonly config: ConvDualEncoderConfig, rng?: SeededRandom) {
    super();
    const { stem, stemWidth, width, heads, mlpRatio, layers } = config.vision;
    this.tokens = visionTokens(config);
    const stemModule = this.register('stem', new Module());
    this.stem = stem.map((kernel, i) => {
      const inChannels = i === 0 ? 3 : stemWidth;
      const outChannels = i === stem.length - 1 ? width : stemWidth;
      return stemModule.register(String(i), new PatchConv(inChannels, outChannels, kernel, rng));
    });
    this.positional_embedding = this.register('positional_embedding', new Parameter(rng ? normalTensor([this.tokens, width], rng, 0.02) : tf.zeros([this.tokens, width])));
    this.blocks = blockList(this, width, heads, mlpRatio, layers, rng);
    this.ln_post = this.register('ln_post', new LayerNorm(width));
    this.proj = this.register('proj', new Linear(width, config.embedDim, { bias: false, rng }));
  }

  /** `pixels` [batch, 3, size, size] (normalised) → [batch, embedDim]. */
  encode(pixels: tf.Tensor, options: EncodeOptions = {}): tf.Tensor {
    return tf.tidy(() => {
      const batch = pixels.shape[0] as number;
      let x = tf.transpose(pixels, [0, 2, 3, 1]);
      this.stem.forEach((conv, i) => {
        x = conv.forward(x);
        if (i < this.stem.length - 1) x = tf.relu(x);
      });
      x = tf.add(tf.reshape(x, [batch, this.tokens, this.config.vision.width]), this.positional_embedding.value);
      for (const block of this.blocks) x = block.forward(x);
      let features = this.proj.forward(this.ln_post.forward(tf.mean(x, 1)));
      if (this.outputTransform) features = this.outputTransform(features);
      return l2Normalize(features, options);
    });
  }
}

/**
 * The text tower: token and position embeddings, bidirectional blocks whose attention ignores
 * the zero padding, and a mean over the real tokens (no end-of-text pooling, no causal mask) before
 * `ln_final` and the projection. Id 0 is padding, as the CLIP tokenizer pads.
 */
export class TextTower extends Module {
  readonly token_embedding: Embedding;
  readonly positional_embedding: Parameter;
  readonly blocks: EncoderBlock[];
  readonly ln_final: LayerNorm;
  readonly proj: Linear;
  outputTransform: OutputTransform | undefined;

  constructor(readonly config: ConvDualEncoderConfig, rng?: SeededRandom) {
    super();
    const { contextLength, vocabSize, width, heads, mlpRatio, layers } = config.text;
    this.token_embedding = this.register('token_embedding', new Embedding(vocabSize, width, { rng, std: 0.02 }));
    this.positional_embedding = this.register('positional_embedding', new Parameter(rng ? normalTensor([contextLength, width], rng, 0.01) : tf.zeros([contextLength, width])));
    this.blocks = blockList(this, width, heads, mlpRatio, layers, rng);
    this.ln_final = this.register('ln_final', new LayerNorm(width));
    this.proj = this.register('proj', new Linear(width, config.embedDim, { bias: false, rng }));
  }

  /** `ids` [batch, contextLength] int32, zero padded → [batch, embedDim]. */
  encode(ids: tf.Tensor, options: EncodeOptions = {}): tf.Tensor {
    return tf.tidy(() => {
      const [batch, length] = ids.shape as [number, number];
      if (length !== this.config.text.contextLength) throw new Error(`conv-dual-encoder: ids have ${length} positions, the text tower takes ${this.config.text.contextLength}`);
      // Computed from the ids with tensor ops (not on the host), so an ONNX export traces it.
      const real = tf.cast(tf.notEqual(ids, 0), 'float32');
      const keyBias = tf.reshape(tf.mul(tf.sub(1, real), MASKED), [batch, 1, 1, length]);
      let x = tf.add(this.token_embedding.forward(ids), this.positional_embedding.value);
      for (const block of this.blocks) x = block.forward(x, keyBias);
      const weights = tf.expandDims(real, 2);
      const pooled = tf.div(tf.sum(tf.mul(x, weights), 1), tf.sum(weights, 1));
      let features = this.proj.forward(this.ln_final.forward(pooled));
      if (this.outputTransform) features = this.outputTransform(features);
      return l2Normalize(features, options);
    });
  }
}
