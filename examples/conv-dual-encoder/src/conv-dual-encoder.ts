import type * as tf from '@tensorflow/tfjs-core';
import {
  BACKBONE_SPECIFICATION_VERSION,
  Module,
  SeededRandom,
  type Backbone,
  type BackboneDescription,
  type BlockSite,
  type EncodeOptions,
  type ImagePreprocessSpec,
  type JsonObject,
  type TextTokenizer,
  type TowerName,
  type TowerSite,
} from '@harma/core';
import type { ConvDualEncoderConfig } from './config';
import type { EncoderBlock } from './encoder-block';
import { TextTower, VisionTower } from './towers';

/** The registry name of this backbone kind. */
export const CONV_DUAL_ENCODER_KIND = 'conv-dual-encoder';

/** One block as the contract's site: where adapters attach, under the block's state-dict path. */
function blockSite(tower: TowerName, towerPath: string, block: EncoderBlock, index: number, tokens: number): BlockSite {
  return {
    tower,
    index,
    width: block.width,
    heads: block.heads,
    tokens,
    layout: 'batch-first',
    path: `${towerPath}.blocks.${index}`,
    block,
    attentionInProjection: { weight: block.attn.inProjWeight, bias: block.attn.inProjBias },
    setMlpTransform: (transform) => {
      block.mlpTransform = transform;
    },
    setAttentionProjectionDelta: (delta) => {
      block.attn.projectionDelta = delta;
    },
  };
}

function towerSite(name: TowerName, path: string, tower: VisionTower | TextTower, width: number, tokens: number, embedDim: number): TowerSite {
  return {
    name,
    width,
    embedDim,
    path,
    module: tower,
    blocks: tower.blocks.map((block, index) => blockSite(name, path, block, index, tokens)),
    setOutputTransform: (transform) => {
      tower.outputTransform = transform;
    },
  };
}

export interface ConvDualEncoderOptions {
  /** Random initialisation from this seed. Default: zeros (weights to be loaded). */
  seed?: number | string;
  /** The tokenizer that makes its ids (a `WordTokenizer`). Default: none. */
  tokenizer?: TextTokenizer;
}

/**
 * A dual encoder that is not CLIP, implementing only the `@harma/core` backbone contract: parameters
 * live under `visual.*` and `text.*`, every transformer block of both towers is a site, and the
 * preprocessing is described as data. HarMA, the losses, the trainer, the ONNX export and the
 * server work on it unchanged.
 */
export class ConvDualEncoder implements Backbone {
  readonly specificationVersion = BACKBONE_SPECIFICATION_VERSION;
  readonly kind = CONV_DUAL_ENCODER_KIND;
  readonly module = new Module();
  readonly towers: { readonly vision: TowerSite; readonly text: TowerSite };
  readonly embedDim: number;
  readonly contextLength: number;
  readonly vocabularySize: number;
  readonly preprocess: ImagePreprocessSpec;
  readonly tokenizer: TextTokenizer | undefined;
  readonly visual: VisionTower;
  readonly text: TextTower;

  constructor(readonly config: ConvDualEncoderConfig, options: ConvDualEncoderOptions = {}) {
    const rng = options.seed === undefined ? undefined : new SeededRandom(options.seed);
    const { tokenizer } = options;
    if (tokenizer && (tokenizer.contextLength !== config.text.contextLength || tokenizer.vocabularySize > config.text.vocabSize)) {
      throw new Error(
        `conv-dual-encoder: the ${tokenizer.kind} tokenizer (${tokenizer.contextLength} ids a caption, ${tokenizer.vocabularySize} ids) does not fit the text tower ` +
          `(${config.text.contextLength} positions, ${config.text.vocabSize} token rows)`,
      );
    }
    this.tokenizer = tokenizer;
    this.embedDim = config.embedDim;
    this.contextLength = config.text.contextLength;
    this.vocabularySize = config.text.vocabSize;
    // The paper's test transform (squash to a square, bicubic) with ImageNet statistics.
    this.preprocess = { size: config.vision.imageSize, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], resize: 'squash', interpolation: 'bicubic' };
    this.visual = this.module.register('visual', new VisionTower(config, rng?.derive('visual')));
    this.text = this.module.register('text', new TextTower(config, rng?.derive('text')));
    this.towers = {
      vision: towerSite('vision', 'visual', this.visual, config.vision.width, this.visual.tokens, config.embedDim),
      text: towerSite('text', 'text', this.text, config.text.width, config.text.contextLength, config.embedDim),
    };
  }

  /** The config as JSON: `createBackbone('conv-dual-encoder', { config })` builds the same architecture. */
  describe(): BackboneDescription {
    return { kind: this.kind, specificationVersion: this.specificationVersion, config: structuredClone(this.config) as unknown as JsonObject };
  }

  /** `pixels` [batch, 3, size, size] float32, normalised → [batch, embedDim]. */
  encodeImage(pixels: tf.Tensor, options?: EncodeOptions): tf.Tensor {
    return this.visual.encode(pixels, options);
  }

  /** `ids` [batch, contextLength] int32, zero padded → [batch, embedDim]. */
  encodeText(ids: tf.Tensor, options?: EncodeOptions): tf.Tensor {
    return this.text.encode(ids, options);
  }

  dispose(): void {
    this.module.dispose();
  }
}
