import * as tf from '@tensorflow/tfjs-core';
import {
  LayerNorm,
  Module,
  Parameter,
  linear,
  linearDefaultBound,
  normalTensor,
  uniformTensor,
  type SeededRandom,
} from '@harma/core';
import { mlpWidth, visionTokens, type ClipConfig } from './config';
import { ClipTransformer } from './transformer';

/**
 * The patch embedding, open_clip's `conv1` (Conv2d without bias, kernel = stride = patch): held as
 * the conv weight [width, 3, patch, patch] and computed as patch extraction + one matMul, the same
 * sums without a convolution kernel.
 */
export class PatchEmbedding extends Module {
  readonly weight: Parameter;

  constructor(readonly width: number, readonly patchSize: number, rng?: SeededRandom) {
    super();
    const shape = [width, 3, patchSize, patchSize];
    // PyTorch's Conv2d default: kaiming_uniform(a=√5), i.e. U(±1/√fanIn).
    const bound = linearDefaultBound(3 * patchSize * patchSize);
    this.weight = this.register('weight', new Parameter(rng ? uniformTensor(shape, rng, -bound, bound) : tf.zeros(shape)));
  }

  /** `pixels` [batch, 3, size, size] → patch features [batch, (size/patch)², width], patches row by row. */
  forward(pixels: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [batch, , size] = pixels.shape as [number, number, number, number];
      const p = this.patchSize;
      const grid = size / p;
      const blocks = tf.reshape(pixels, [batch, 3, grid, p, grid, p]);
      // [batch, gridRow, gridCol, channel, dy, dx]: each patch flattened as the conv weight is (c, kh, kw).
      const patches = tf.reshape(tf.transpose(blocks, [0, 2, 4, 1, 3, 5]), [batch, grid * grid, 3 * p * p]);
      return linear(patches, this.weight);
    });
  }
}

/** open_clip's `VisionTransformer` (registered as `visual`): patches + class token → blocks → projected class token. */
export class VisionTransformer extends Module {
  readonly conv1: PatchEmbedding;
  readonly classEmbedding: Parameter;
  readonly positionalEmbedding: Parameter;
  readonly lnPre: LayerNorm;
  readonly transformer: ClipTransformer;
  readonly lnPost: LayerNorm;
  readonly proj: Parameter;
  readonly tokens: number;

  constructor(readonly config: ClipConfig, rng?: SeededRandom) {
    super();
    const { vision, embedDim, layerNormEps: eps } = config;
    const { width } = vision;
    this.tokens = visionTokens(vision);
    const scale = width ** -0.5;
    const normal = (shape: number[]): tf.Tensor => (rng ? normalTensor(shape, rng, scale) : tf.zeros(shape));
    this.conv1 = this.register('conv1', new PatchEmbedding(width, vision.patchSize, rng));
    this.classEmbedding = this.register('class_embedding', new Parameter(normal([width])));
    this.positionalEmbedding = this.register('positional_embedding', new Parameter(normal([this.tokens, width])));
    this.lnPre = this.register('ln_pre', new LayerNorm(width, { eps }));
    // open_clip leaves the image tower's blocks at PyTorch's default initialisation.
    this.transformer = this.register(
      'transformer',
      new ClipTransformer(vision.layers, {
        width,
        heads: vision.heads,
        mlpWidth: mlpWidth(vision),
        activation: config.activation,
        layerNormEps: eps,
        init: rng ? { rng } : undefined,
      }),
    );
    this.lnPost = this.register('ln_post', new LayerNorm(width, { eps }));
    this.proj = this.register('proj', new Parameter(normal([width, embedDim])));
  }

  /**
   * `pixels` [batch, 3, size, size] → projected class-token features [batch, embedDim] (not
   * normalised) and, when asked, the state after every block [batch, tokens, width].
   */
  forward(pixels: tf.Tensor, keepHiddenStates = false): { features: tf.Tensor; hiddenStates: tf.Tensor[] } {
    return tf.tidy(() => {
      const batch = pixels.shape[0] as number;
      const width = this.config.vision.width;
      const patches = this.conv1.forward(pixels);
      const classToken = tf.broadcastTo(tf.reshape(this.classEmbedding.value, [1, 1, width]), [batch, 1, width]);
      const tokens = tf.add(tf.concat([classToken, patches], 1), this.positionalEmbedding.value);
      const { output, hiddenStates } = this.transformer.forward(this.lnPre.forward(tokens), { keepHiddenStates });
      const pooled = tf.reshape(tf.slice(output, [0, 0, 0], [batch, 1, width]), [batch, width]);
      const features = tf.matMul(this.lnPost.forward(pooled), this.proj.value);
      return { features, hiddenStates };
    });
  }
}
