import * as tf from '@tensorflow/tfjs-core';
import type { Backbone, BackboneDescription, EncodeOptions, JsonObject, SeededRandom, TextTokenizer } from '@harma/core';
import { ClipDualEncoder } from '../clip/clip-dual-encoder';
import { ClipResNetModule } from './clip-resnet-module';
import { resNetFeatureWidth, validateClipResNetConfig, type ClipResNetConfig } from './config';
import { ResNetTowerSite } from './resnet-tower-site';

export interface CreateClipResNetOptions {
  /** Initialise randomly as open_clip does, from this stream. Default: zeros (fast; for loading weights). */
  rng?: SeededRandom;
  /** The tokenizer that makes the model's ids (`ClipTokenizer` over its vocabulary). Default: none. */
  tokenizer?: TextTokenizer;
  /**
   * Keep the image tower's BatchNorm layers in evaluation mode in training mode too: running
   * statistics, never updated (open_clip's `freeze_bn_stats`, `FrozenBatchNorm2d`). Default: false —
   * the official HarMA loop (`model.train()`) normalises with each batch's statistics and updates
   * the running ones.
   */
  freezeBatchNorm?: boolean;
}

export interface ClipResNetForwardOptions {
  /** L2-normalise the features. Default: true. */
  normalize?: boolean;
  /** Also return the stem's and every stage's output [batch, channels, h, w]. Default: false. */
  stages?: boolean;
}

export interface ClipResNetImageResult {
  /** [batch, embedDim]. */
  features: tf.Tensor;
  /** When asked for: 0 = stem (after its average pool), 1–4 = layer1..layer4, NCHW; else empty. */
  stages: tf.Tensor[];
}

/**
 * A CLIP with open_clip's `ModifiedResNet` image tower (OpenAI's RN50, RN101, RN50x4/x16/x64,
 * RemoteCLIP's RN50), of any size its config describes, implementing the `@harma/core` backbone
 * contract as kind `clip-resnet`: the text tower's blocks are sites, the image tower offers none
 * (only its output transform), and `setTraining` switches its BatchNorm layers as PyTorch's
 * `train()` / `eval()` do. Built in evaluation mode.
 */
export class ClipResNetModel extends ClipDualEncoder<ClipResNetModule, ResNetTowerSite> implements Backbone {
  readonly kind = 'clip-resnet';
  readonly config: ClipResNetConfig;
  readonly freezeBatchNorm: boolean;
  #training = false;

  constructor(config: ClipResNetConfig, options: CreateClipResNetOptions = {}) {
    const valid = validateClipResNetConfig(config);
    let batchStatistics = (): boolean => false;
    super(
      { ...valid, imageSize: valid.vision.imageSize },
      options.tokenizer,
      () => new ClipResNetModule(valid, options.rng),
      (module) => new ResNetTowerSite(resNetFeatureWidth(valid.vision), valid.embedDim, module.visual, () => batchStatistics()),
    );
    this.config = valid;
    this.freezeBatchNorm = options.freezeBatchNorm ?? false;
    batchStatistics = () => this.#training && !this.freezeBatchNorm;
  }

  /** Whether the model is in training mode (`setTraining`). */
  get training(): boolean {
    return this.#training;
  }

  /**
   * Training mode (PyTorch's `model.train()`): the image tower's BatchNorm layers normalise with
   * each batch's statistics and update their running statistics on every forward pass (unless
   * `freezeBatchNorm`); evaluation mode (`model.eval()`) uses the running statistics.
   */
  setTraining(training: boolean): void {
    this.#training = training;
    this.module.visual.setBatchNormTraining(training && !this.freezeBatchNorm);
  }

  /** `pixels` float32 [batch, 3, imageSize, imageSize], already normalised. */
  forwardImage(pixels: tf.Tensor, options: ClipResNetForwardOptions = {}): ClipResNetImageResult {
    this.checkPixels(pixels);
    return tf.tidy(() => {
      const { features, stages } = this.module.visual.forward(pixels, options.stages ?? false);
      return { features: this.finish(features, this.towers.vision, options.normalize), stages };
    });
  }

  encodeImage(pixels: tf.Tensor, options: EncodeOptions = {}): tf.Tensor {
    return this.forwardImage(pixels, { normalize: options.normalize }).features;
  }

  /** The config as JSON: `createBackbone('clip-resnet', { config })` builds the same architecture. */
  describe(): BackboneDescription {
    return { kind: this.kind, specificationVersion: this.specificationVersion, config: structuredClone(this.config) as unknown as JsonObject };
  }
}

/** Build a CLIP ResNet from a config: zeros (to be loaded) by default, open_clip's random init with `rng`. */
export function createClipResNet(config: ClipResNetConfig, options: CreateClipResNetOptions = {}): ClipResNetModel {
  return new ClipResNetModel(config, options);
}
