import * as tf from '@tensorflow/tfjs-core';
import {
  BACKBONE_SPECIFICATION_VERSION,
  type EncodeOptions,
  type ImagePreprocessSpec,
  type JsonObject,
  type Module,
  type TextTokenizer,
} from '@harma/core';
import { ClipTokenizer } from '../tokenizer/clip-tokenizer';
import type { ClipRootModule, ClipTextTowerConfig } from './clip-root-module';
import { toHuggingFaceClipTextConfig, type ClipSpecialTokenIds } from './hugging-face-config';
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
 * What every open_clip CLIP shares whatever its image tower (ViT: `ClipModel`, ModifiedResNet:
 * `ClipResNetModel`): the text tower at the root of `module` and its site, the tokenizer, the
 * contract's sizes, and the tower output transform plus L2 normalisation of both towers.
 */
export abstract class ClipDualEncoder<Root extends ClipRootModule<Module>, VisionSite extends ClipTowerSite = ClipTowerSite> {
  readonly specificationVersion = BACKBONE_SPECIFICATION_VERSION;
  readonly module: Root;
  readonly towers: { readonly vision: VisionSite; readonly text: ClipTowerSite };
  readonly embedDim: number;
  readonly contextLength: number;
  readonly vocabularySize: number;
  readonly preprocess: ImagePreprocessSpec;
  readonly tokenizer: TextTokenizer | undefined;
  readonly #textTower: ClipTextTowerConfig;

  /**
   * `build` makes the module tree once the tokenizer is known to fit (nothing is allocated for a
   * tokenizer that does not); `visionSite` describes its image tower.
   */
  protected constructor(config: ClipTextTowerConfig & { imageSize: number }, tokenizer: TextTokenizer | undefined, build: () => Root, visionSite: (module: Root) => VisionSite) {
    const { text, embedDim } = config;
    if (tokenizer) checkTokenizer(tokenizer, text);
    this.#textTower = { embedDim, text, activation: config.activation, layerNormEps: config.layerNormEps };
    this.module = build();
    this.embedDim = embedDim;
    this.contextLength = text.contextLength;
    this.vocabularySize = text.vocabSize;
    this.tokenizer = tokenizer;
    this.preprocess = clipPreprocessSpec(config.imageSize);
    this.towers = {
      vision: visionSite(this.module),
      text: new ClipTowerSite('text', text.width, embedDim, '', this.module, this.module.transformer.blocks, text.contextLength),
    };
  }

  /** `ids` int32 [batch, contextLength], zero padded, end-of-text = the row's largest id. */
  forwardText(ids: tf.Tensor, options: ClipForwardOptions = {}): ClipForwardResult {
    const { contextLength } = this;
    if (ids.rank !== 2 || ids.shape[1] !== contextLength) {
      throw new Error(`forwardText: ids of shape [${ids.shape}], expected [batch, ${contextLength}]`);
    }
    if (ids.dtype !== 'int32') throw new Error(`forwardText: ids of dtype ${ids.dtype}, expected int32`);
    return tf.tidy(() => {
      const { features, hiddenStates } = this.module.forwardText(ids, options.hiddenStates ?? false);
      return { features: this.finish(features, this.towers.text, options.normalize), hiddenStates };
    });
  }

  encodeText(ids: tf.Tensor, options: EncodeOptions = {}): tf.Tensor {
    return this.forwardText(ids, { normalize: options.normalize }).features;
  }

  /**
   * transformers' config of the text tower alone (`CLIPTextModelWithProjection`,
   * `model_type: "clip_text_model"`), with the special token ids of `tokenizer` (default: its own).
   */
  huggingFaceTextConfig(tokenizer: TextTokenizer | undefined = this.tokenizer): JsonObject {
    return toHuggingFaceClipTextConfig(this.#textTower, this.specialTokenIds(tokenizer));
  }

  dispose(): void {
    this.module.dispose();
  }

  /** The start and end ids a CLIP config names: a CLIP BPE tokenizer's own, else open_clip's numbering. */
  protected specialTokenIds(tokenizer: TextTokenizer | undefined): ClipSpecialTokenIds {
    return tokenizer instanceof ClipTokenizer ? { bos: tokenizer.startOfTextId, eos: tokenizer.endOfTextId } : {};
  }

  /** Tower output transform, then L2 normalisation (PyTorch's F.normalize, eps 1e-12) unless turned off. */
  protected finish(features: tf.Tensor, tower: ClipTowerSite, normalize = true): tf.Tensor {
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

  /** `pixels` float32 [batch, 3, size, size]: checked against the tower's input size. */
  protected checkPixels(pixels: tf.Tensor): void {
    const { size } = this.preprocess;
    if (pixels.rank !== 4 || pixels.shape[1] !== 3 || pixels.shape[2] !== size || pixels.shape[3] !== size) {
      throw new Error(`forwardImage: pixels of shape [${pixels.shape}], expected [batch, 3, ${size}, ${size}]`);
    }
    if (pixels.dtype !== 'float32') throw new Error(`forwardImage: pixels of dtype ${pixels.dtype}, expected float32`);
  }
}

/** A tokenizer fits a CLIP when its rows are the text tower's context and its ids fit the token table. */
function checkTokenizer(tokenizer: TextTokenizer, text: ClipTextTowerConfig['text']): void {
  if (tokenizer.contextLength !== text.contextLength) {
    throw new Error(`CLIP: the ${tokenizer.kind} tokenizer makes ${tokenizer.contextLength} ids per caption, the text tower takes ${text.contextLength}`);
  }
  if (tokenizer.vocabularySize > text.vocabSize) {
    throw new Error(`CLIP: the ${tokenizer.kind} tokenizer's vocabulary has ${tokenizer.vocabularySize} ids, the text tower embeds ${text.vocabSize}; it is not this model's vocabulary`);
  }
}
