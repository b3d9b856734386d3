import * as tf from '@tensorflow/tfjs-core';
import type { Backbone, BackboneDescription, EncodeOptions, JsonObject, SeededRandom, TextTokenizer } from '@harma/core';
import { validateClipConfig, visionTokens, type ClipConfig } from './config';
import { ClipDualEncoder, type ClipForwardOptions, type ClipForwardResult } from './clip-dual-encoder';
import { ClipModule } from './clip-module';
import { toHuggingFaceClipConfig } from './hugging-face-config';
import { ClipTowerSite } from './tower-sites';

export { CLIP_MEAN, CLIP_STD, clipPreprocessSpec } from './clip-dual-encoder';
export type { ClipForwardOptions, ClipForwardResult } from './clip-dual-encoder';

export interface CreateClipOptions {
  /** Initialise randomly as open_clip does, from this stream. Default: zeros (fast; for loading weights). */
  rng?: SeededRandom;
  /** The tokenizer that makes the model's ids (`ClipTokenizer` over its vocabulary). Default: none. */
  tokenizer?: TextTokenizer;
}

/**
 * A CLIP dual encoder in open_clip's layout, of any size its config describes, implementing the
 * `@harma/core` backbone contract: every block of both towers is a site adapters attach to, and
 * all parameters live in `module` under open_clip's state-dict names.
 */
export class ClipModel extends ClipDualEncoder<ClipModule> implements Backbone {
  readonly kind = 'clip';
  readonly config: ClipConfig;

  constructor(config: ClipConfig, options: CreateClipOptions = {}) {
    const valid = validateClipConfig(config);
    super(
      { ...valid, imageSize: valid.vision.imageSize },
      options.tokenizer,
      () => new ClipModule(valid, options.rng),
      (module) => new ClipTowerSite('vision', valid.vision.width, valid.embedDim, 'visual', module.visual, module.visual.transformer.blocks, visionTokens(valid.vision)),
    );
    this.config = valid;
  }

  /** `pixels` float32 [batch, 3, imageSize, imageSize], already normalised. */
  forwardImage(pixels: tf.Tensor, options: ClipForwardOptions = {}): ClipForwardResult {
    this.checkPixels(pixels);
    return tf.tidy(() => {
      const { features, hiddenStates } = this.module.visual.forward(pixels, options.hiddenStates ?? false);
      return { features: this.finish(features, this.towers.vision, options.normalize), hiddenStates };
    });
  }

  /** The config as JSON: `createBackbone('clip', { config })` builds the same architecture. */
  describe(): BackboneDescription {
    return { kind: this.kind, specificationVersion: this.specificationVersion, config: structuredClone(this.config) as unknown as JsonObject };
  }

  /** transformers' `CLIPConfig` of this model, with the special token ids of `tokenizer` (default: its own). */
  huggingFaceConfig(tokenizer: TextTokenizer | undefined = this.tokenizer): JsonObject {
    return toHuggingFaceClipConfig(this.config, this.specialTokenIds(tokenizer));
  }

  encodeImage(pixels: tf.Tensor, options: EncodeOptions = {}): tf.Tensor {
    return this.forwardImage(pixels, { normalize: options.normalize }).features;
  }
}

/** Build a CLIP from a config: zeros (to be loaded) by default, open_clip's random init with `rng`. */
export function createClip(config: ClipConfig, options: CreateClipOptions = {}): ClipModel {
  return new ClipModel(config, options);
}
