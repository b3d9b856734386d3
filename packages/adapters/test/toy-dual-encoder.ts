/**
 * A third-party backbone for the tests: a tiny dual encoder that is not CLIP (patch embedding by a
 * Linear, mean pooling, its own parameter names, no class token) and implements only the
 * `@harma/core` contract. If HarMA attaches to and trains on this, it depends on nothing else.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  BACKBONE_SPECIFICATION_VERSION,
  Embedding,
  LayerNorm,
  Linear,
  Module,
  MultiheadAttention,
  Parameter,
  SeededRandom,
  causalMask,
  normalTensor,
  quickGelu,
  type Backbone,
  type BackboneDescription,
  type BlockSite,
  type EncodeOptions,
  type ImagePreprocessSpec,
  type MlpTransform,
  type OutputTransform,
  type TowerName,
  type TowerSite,
} from '@harma/core';

export interface ToyConfig {
  imageSize: number;
  patchSize: number;
  visionWidth: number;
  visionLayers: number;
  visionHeads: number;
  contextLength: number;
  vocabSize: number;
  textWidth: number;
  textLayers: number;
  textHeads: number;
  embedDim: number;
}

export const TOY_CONFIG: ToyConfig = {
  imageSize: 8,
  patchSize: 4,
  visionWidth: 16,
  visionLayers: 2,
  visionHeads: 2,
  contextLength: 6,
  vocabSize: 20,
  textWidth: 12,
  textLayers: 2,
  textHeads: 3,
  embedDim: 8,
};

class ToyLayer extends Module {
  readonly ln_1: LayerNorm;
  readonly attn: MultiheadAttention;
  readonly ln_2: LayerNorm;
  readonly fc_in: Linear;
  readonly fc_out: Linear;
  mlpTransform: MlpTransform | undefined;

  constructor(width: number, heads: number, rng: SeededRandom) {
    super();
    this.ln_1 = this.register('ln_1', new LayerNorm(width));
    this.attn = this.register('attn', new MultiheadAttention(width, heads, { rng }));
    this.ln_2 = this.register('ln_2', new LayerNorm(width));
    this.fc_in = this.register('fc_in', new Linear(width, 2 * width, { rng }));
    this.fc_out = this.register('fc_out', new Linear(2 * width, width, { rng }));
  }

  forward(x: tf.Tensor, mask?: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const attended = tf.add(x, this.attn.forward(this.ln_1.forward(x), { mask }));
      let m = this.fc_out.forward(quickGelu(this.fc_in.forward(this.ln_2.forward(attended))));
      if (this.mlpTransform) m = this.mlpTransform(m);
      return tf.add(attended, m);
    });
  }
}

class ToyTower extends Module {
  readonly layers: ToyLayer[];
  readonly norm: LayerNorm;
  readonly head: Linear;
  readonly position: Parameter;
  outputTransform: OutputTransform | undefined;

  constructor(width: number, layers: number, heads: number, tokens: number, embedDim: number, rng: SeededRandom) {
    super();
    this.position = this.register('position', new Parameter(normalTensor([tokens, width], rng, 0.1)));
    const list = this.register('layers', new Module());
    this.layers = Array.from({ length: layers }, (_, i) => list.register(String(i), new ToyLayer(width, heads, rng)));
    this.norm = this.register('norm', new LayerNorm(width));
    this.head = this.register('head', new Linear(width, embedDim, { bias: false, rng }));
  }

  /** Tokens [batch, tokens, width] → features [batch, embed]. */
  encode(tokens: tf.Tensor, options: EncodeOptions, mask?: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      let x = tf.add(tokens, this.position.value);
      for (const layer of this.layers) x = layer.forward(x, mask);
      let features = this.head.forward(tf.mean(this.norm.forward(x), 1));
      if (this.outputTransform) features = this.outputTransform(features);
      if (options.normalize === false) return features;
      return tf.div(features, tf.norm(features, 'euclidean', -1, true));
    });
  }
}

function towerSite(name: TowerName, path: string, tower: ToyTower, width: number, heads: number, tokens: number, embedDim: number): TowerSite {
  const blocks: BlockSite[] = tower.layers.map((layer, index) => ({
    tower: name,
    index,
    width,
    heads,
    tokens,
    layout: 'batch-first',
    path: `${path}.layers.${index}`,
    block: layer,
    attentionInProjection: { weight: layer.attn.inProjWeight, bias: layer.attn.inProjBias },
    setMlpTransform: (transform) => {
      layer.mlpTransform = transform;
    },
    setAttentionProjectionDelta: (delta) => {
      layer.attn.projectionDelta = delta;
    },
  }));
  return {
    name,
    width,
    embedDim,
    path,
    module: tower,
    blocks,
    setOutputTransform: (transform) => {
      tower.outputTransform = transform;
    },
  };
}

/** The toy backbone, random weights from `seed`. */
export class ToyDualEncoder implements Backbone {
  readonly specificationVersion = BACKBONE_SPECIFICATION_VERSION;
  readonly kind = 'toy-dual-encoder';
  readonly module = new Module();
  readonly towers: { readonly vision: TowerSite; readonly text: TowerSite };
  readonly embedDim: number;
  readonly contextLength: number;
  readonly vocabularySize: number;
  readonly preprocess: ImagePreprocessSpec;
  /** The toy takes ids, not text: it has no tokenizer. */
  readonly tokenizer = undefined;
  readonly #image: ToyTower;
  readonly #text: ToyTower;
  readonly #patchEmbed: Linear;
  readonly #tokenEmbed: Embedding;
  readonly #mask: tf.Tensor;

  constructor(readonly config: ToyConfig = TOY_CONFIG, seed = 7) {
    const rng = new SeededRandom(seed);
    const patches = (config.imageSize / config.patchSize) ** 2;
    this.embedDim = config.embedDim;
    this.contextLength = config.contextLength;
    this.vocabularySize = config.vocabSize;
    this.preprocess = { size: config.imageSize, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], resize: 'squash', interpolation: 'bilinear' };
    this.#image = this.module.register('image_encoder', new ToyTower(config.visionWidth, config.visionLayers, config.visionHeads, patches, config.embedDim, rng));
    this.#patchEmbed = this.#image.register('patch_embed', new Linear(3 * config.patchSize ** 2, config.visionWidth, { rng }));
    this.#text = this.module.register('text_encoder', new ToyTower(config.textWidth, config.textLayers, config.textHeads, config.contextLength, config.embedDim, rng));
    this.#tokenEmbed = this.#text.register('token_embed', new Embedding(config.vocabSize, config.textWidth, { rng, std: 0.5 }));
    this.#mask = causalMask(config.contextLength);
    this.towers = {
      vision: towerSite('vision', 'image_encoder', this.#image, config.visionWidth, config.visionHeads, patches, config.embedDim),
      text: towerSite('text', 'text_encoder', this.#text, config.textWidth, config.textHeads, config.contextLength, config.embedDim),
    };
  }

  /** `pixels` [batch, 3, size, size] → [batch, embed]. */
  encodeImage(pixels: tf.Tensor, options: EncodeOptions = {}): tf.Tensor {
    return tf.tidy(() => {
      const { imageSize, patchSize } = this.config;
      const grid = imageSize / patchSize;
      const batch = pixels.shape[0] as number;
      const split = tf.reshape(pixels, [batch, 3, grid, patchSize, grid, patchSize]);
      const patches = tf.reshape(tf.transpose(split, [0, 2, 4, 1, 3, 5]), [batch, grid * grid, 3 * patchSize * patchSize]);
      return this.#image.encode(this.#patchEmbed.forward(patches), options);
    });
  }

  /** `ids` [batch, context] int32 → [batch, embed]. */
  encodeText(ids: tf.Tensor, options: EncodeOptions = {}): tf.Tensor {
    return tf.tidy(() => this.#text.encode(this.#tokenEmbed.forward(ids), options, this.#mask));
  }

  describe(): BackboneDescription {
    return { kind: this.kind, specificationVersion: this.specificationVersion, config: { ...this.config } };
  }

  dispose(): void {
    this.module.dispose();
    this.#mask.dispose();
  }
}

/** A deterministic batch for the toy: pixels [batch, 3, size, size] and ids [batch, context] with zero padding. */
export function toyBatch(batch: number, seed = 11, config: ToyConfig = TOY_CONFIG): { pixels: tf.Tensor; ids: tf.Tensor } {
  const rng = new SeededRandom(seed);
  const pixels = normalTensor([batch, 3, config.imageSize, config.imageSize], rng);
  const ids = new Int32Array(batch * config.contextLength);
  for (let b = 0; b < batch; b++) {
    const length = 2 + (b % (config.contextLength - 1));
    for (let t = 0; t < length; t++) ids[b * config.contextLength + t] = 1 + rng.int(config.vocabSize - 1);
  }
  return { pixels, ids: tf.tensor2d(ids, [batch, config.contextLength], 'int32') };
}
