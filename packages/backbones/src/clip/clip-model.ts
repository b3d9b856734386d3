import * as tf from '@tensorflow/tfjs-core';
import {
  BACKBONE_SPECIFICATION_VERSION,
  type Backbone,
  type BackboneDescription,
  type EncodeOptions,
  type ImagePreprocessSpec,
  type JsonObject,
  type SeededRandom,
  type TextTokenizer,
} from '@harma/core';
import { validateClipConfig, visionTokens, type ClipConfig } from './config';
import { ClipModule } from './clip-module';
import { toHuggingFaceClipConfig } from './hugging-face-config';
import { ClipTokenizer } from '../tokenizer/clip-tokenizer';
import { ClipTowerSite } from './tower-sites';

export interface ClipForwardOptions {
  /** L2-normalise the features. Default: true. */
  normalize?: boolean;
  /** Also return the state after every block, batch-first [batch, tokens, width]. Default: false. */
  hiddenStates?: boolean;
}

export interface ClipForwardResult {
  /** [batch, embedDim]. */
  features: tf.Tensor;
  /** One per block when asked for (image: class token first; text: every position), else empty. */
  hiddenStates: tf.Tensor[];
}

export interface CreateClipOptions {
  /** Initialise randomly as open_clip does, from this stream. Default: zeros (fast; for loading weights). */
  rng?: SeededRandom;
  /** The tokenizer that makes the model's ids (`ClipTokenizer` over its vocabulary). Default: none. */
  tokenizer?: TextTokenizer;
}

/** OpenAI CLIP's per-channel mean of its training images on the 0..1 scale (RGB); `clipPreprocessSpec` uses it. */
export const CLIP_MEAN: [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
/** OpenAI CLIP's per-channel standard deviation on the 0..1 scale (RGB). */
export const CLIP_STD: [number, number, number] = [0.26862954, 0.26130258, 0.27577711];

/**
 * The image preprocessing CLIP backbones expect: the HarMA paper's test transform (squash-resize
 * bicubic to `imageSize`, no crop) with CLIP's mean and std.
 */
export function clipPreprocessSpec(imageSize: number): ImagePreprocessSpec {
  return { size: imageSize, mean: [...CLIP_MEAN], std: [...CLIP_STD], resize: 'squash', interpolation: 'bicubic' };
}

/**
 * A CLIP dual encoder in open_clip's layout, of any size its config describes, implementing the
 * `@harma/core` backbone contract: every block of both towers is a site adapters attach to, and
 * all parameters live in `module` under open_clip's state-dict names.
 */
export class ClipModel implements Backbone {
  readonly specificationVersion = BACKBONE_SPECIFICATION_VERSION;
  readonly kind = 'clip';
  readonly config: ClipConfig;
  readonly module: ClipModule;
  readonly towers: { readonly vision: ClipTowerSite; readonly text: ClipTowerSite };
  readonly embedDim: number;
  readonly contextLength: number;
  readonly vocabularySize: number;
  readonly preprocess: ImagePreprocessSpec;
  readonly tokenizer: TextTokenizer | undefined;

  constructor(config: ClipConfig, options: CreateClipOptions = {}) {
    this.config = validateClipConfig(config);
    const { vision, text, embedDim } = this.config;
    if (options.tokenizer) checkTokenizer(options.tokenizer, this.config);
    this.module = new ClipModule(this.config, options.rng);
    this.embedDim = embedDim;
    this.contextLength = text.contextLength;
    this.vocabularySize = text.vocabSize;
    this.tokenizer = options.tokenizer;
    this.preprocess = clipPreprocessSpec(vision.imageSize);
    const visual = this.module.visual;
    this.towers = {
      vision: new ClipTowerSite('vision', vision.width, embedDim, 'visual', visual, visual.transformer.blocks, visionTokens(vision)),
      text: new ClipTowerSite('text', text.width, embedDim, '', this.module, this.module.transformer.blocks, text.contextLength),
    };
  }

  /** `pixels` float32 [batch, 3, imageSize, imageSize], already normalised. */
  forwardImage(pixels: tf.Tensor, options: ClipForwardOptions = {}): ClipForwardResult {
    const { imageSize } = this.config.vision;
    if (pixels.rank !== 4 || pixels.shape[1] !== 3 || pixels.shape[2] !== imageSize || pixels.shape[3] !== imageSize) {
      throw new Error(`forwardImage: pixels of shape [${pixels.shape}], expected [batch, 3, ${imageSize}, ${imageSize}]`);
    }
    if (pixels.dtype !== 'float32') throw new Error(`forwardImage: pixels of dtype ${pixels.dtype}, expected float32`);
    return tf.tidy(() => {
      const { features, hiddenStates } = this.module.visual.forward(pixels, options.hiddenStates ?? false);
      return { features: this.finish(features, this.towers.vision, options.normalize), hiddenStates };
    });
  }

  /** `ids` int32 [batch, contextLength], zero padded, end-of-text = the row's largest id. */
  forwardText(ids: tf.Tensor, options: ClipForwardOptions = {}): ClipForwardResult {
    const { contextLength } = this.config.text;
    if (ids.rank !== 2 || ids.shape[1] !== contextLength) {
      throw new Error(`forwardText: ids of shape [${ids.shape}], expected [batch, ${contextLength}]`);
    }
    if (ids.dtype !== 'int32') throw new Error(`forwardText: ids of dtype ${ids.dtype}, expected int32`);
    return tf.tidy(() => {
      const { features, hiddenStates } = this.module.forwardText(ids, options.hiddenStates ?? false);
      return { features: this.finish(features, this.towers.text, options.normalize), hiddenStates };
    });
  }

  /** The config as JSON: `createBackbone('clip', { config })` builds the same architecture. */
  describe(): BackboneDescription {
    return { kind: this.kind, specificationVersion: this.specificationVersion, config: structuredClone(this.config) as unknown as JsonObject };
  }

  /** transformers' `CLIPConfig` of this model, with the special token ids of `tokenizer` (default: its own). */
  huggingFaceConfig(tokenizer: TextTokenizer | undefined = this.tokenizer): JsonObject {
    const ids = tokenizer instanceof ClipTokenizer ? { bos: tokenizer.startOfTextId, eos: tokenizer.endOfTextId } : {};
    return toHuggingFaceClipConfig(this.config, ids);
  }

  encodeImage(pixels: tf.Tensor, options: EncodeOptions = {}): tf.Tensor {
    return this.forwardImage(pixels, { normalize: options.normalize }).features;
  }

  encodeText(ids: tf.Tensor, options: EncodeOptions = {}): tf.Tensor {
    return this.forwardText(ids, { normalize: options.normalize }).features;
  }

  dispose(): void {
    this.module.dispose();
  }

  /** Tower output transform, then L2 normalisation (PyTorch's F.normalize, eps 1e-12) unless turned off. */
  private finish(features: tf.Tensor, tower: ClipTowerSite, normalize = true): tf.Tensor {
    let out = features;
    if (tower.outputTransform) {
      out = tower.outputTransform(features);
      if (!tf.util.arraysEqual(out.shape, features.shape)) {
        throw new Error(`${tower.name} output transform returned shape [${out.shape}], expected [${features.shape}]`);
      }
    }
    if (!normalize) return out;
    return tf.div(out, tf.maximum(tf.sqrt(tf.sum(tf.square(out), -1, true)), 1e-12));
  }
}

/** A tokenizer fits a CLIP when its rows are the text tower's context and its ids fit the token table. */
function checkTokenizer(tokenizer: TextTokenizer, config: ClipConfig): void {
  if (tokenizer.contextLength !== config.text.contextLength) {
    throw new Error(`CLIP: the ${tokenizer.kind} tokenizer makes ${tokenizer.contextLength} ids per caption, the text tower takes ${config.text.contextLength}`);
  }
  if (tokenizer.vocabularySize > config.text.vocabSize) {
    throw new Error(`CLIP: the ${tokenizer.kind} tokenizer's vocabulary has ${tokenizer.vocabularySize} ids, the text tower embeds ${config.text.vocabSize}; it is not this model's vocabulary`);
  }
}

/** Build a CLIP from a config: zeros (to be loaded) by default, open_clip's random init with `rng`. */
export function createClip(config: ClipConfig, options: CreateClipOptions = {}): ClipModel {
  return new ClipModel(config, options);
}
