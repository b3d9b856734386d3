import type * as tf from '@tensorflow/tfjs-core';
import type { Module } from '../module/module';
import type { Parameter } from '../module/parameter';
import type { AttentionProjectionDelta } from '../nn/multihead-attention';
import type { JsonObject, JsonValue } from './json';
import type { TextTokenizer } from './text-tokenizer';

export type { AttentionProjectionDelta } from '../nn/multihead-attention';

/**
 * The version of this contract a backbone implements; bumped on any breaking change. v2 added
 * what consumers used to guess: `describe()`, `tokenizer` and `vocabularySize`; later v2 backbones
 * may also offer the optional `setTraining` and `TowerSite.batchDependent` (a BatchNorm tower).
 */
export const BACKBONE_SPECIFICATION_VERSION = 'v2';

export type TowerName = 'vision' | 'text';

/**
 * Transforms a block's MLP branch output [batch, tokens, width] into a tensor of the same shape,
 * before it is added to the residual stream. HarMA's use: `a·adapter(m) + (1 − a)·m`.
 */
export type MlpTransform = (mlpOutput: tf.Tensor) => tf.Tensor;

/** Transforms a tower's features [batch, embed] before L2 normalisation (CLIP-Adapter's insertion point). */
export type OutputTransform = (features: tf.Tensor) => tf.Tensor;

/**
 * One transformer block of a tower, seen by adapters. An adapter registers its parameters and
 * modules on `block` (so they are named under the block's state-dict path, as the official
 * checkpoints name them) and sets transforms; the backbone never knows which adapter it carries.
 */
export interface BlockSite {
  readonly tower: TowerName;
  /** Position of the block in its tower, from 0. */
  readonly index: number;
  /** Width of the residual stream and of the MLP branch output. */
  readonly width: number;
  /** Attention heads of the block. */
  readonly heads: number;
  /** Tokens per sequence the block sees (class token included for images, full context for text). */
  readonly tokens: number;
  /** Tokens are batch-first: every tensor a transform sees is [batch, tokens, width]. */
  readonly layout: 'batch-first';
  /** State-dict path of the block (`visual.transformer.resblocks.3`). */
  readonly path: string;
  /** The block module, where attachments register their parameters and modules. */
  readonly block: Module;
  /** Packed attention input projection, [3·width, width] (q | k | v rows) and [3·width]: what a merged LoRA rewrites. */
  readonly attentionInProjection: { readonly weight: Parameter; readonly bias: Parameter | undefined };
  /** Set (or clear with `undefined`) the transform of the MLP branch output. */
  setMlpTransform(transform: MlpTransform | undefined): void;
  /** Set (or clear) extra terms added to the attention q/k/v projections. */
  setAttentionProjectionDelta(delta: AttentionProjectionDelta | undefined): void;
}

/** One tower (image or text encoder) of a dual-encoder backbone. */
export interface TowerSite {
  readonly name: TowerName;
  /** Width of the tower's residual stream. */
  readonly width: number;
  /** Width of the tower's output features (the shared embedding space). */
  readonly embedDim: number;
  /** State-dict path of the tower module (`visual` for CLIP's image tower, `''` for its text tower at the root). */
  readonly path: string;
  /** The module at `path`, where tower-level attachments register. */
  readonly module: Module;
  /**
   * The tower's adapter sites. May be empty: a tower without transformer blocks (CLIP ResNet's
   * image tower) offers none, and adapters then attach to the other tower only.
   */
  readonly blocks: readonly BlockSite[];
  /**
   * Whether, as the backbone is set now, the tower's output for one row depends on the other rows
   * of the same call, and every call changes the backbone's state — BatchNorm in training mode,
   * which normalises with the batch's statistics and updates its running ones. A training step
   * must then encode all of the batch's rows of this tower in one call, once (`@harma/losses`
   * does, and refuses what cannot be exact). Absent or false: rows are independent, and a batch
   * may be encoded in parts (micro-batches, threads) with the same result.
   */
  readonly batchDependent?: boolean;
  /** Set (or clear) the transform of the tower's features, applied before normalisation. */
  setOutputTransform(transform: OutputTransform | undefined): void;
}

export interface EncodeOptions {
  /** L2-normalise the features. Default: true. */
  normalize?: boolean;
}

/** Image preprocessing a backbone expects, as data (applied by @harma/data or the server). */
export interface ImagePreprocessSpec {
  /** Square input side in pixels. */
  size: number;
  /** Per-channel RGB mean and standard deviation on the 0..1 scale. */
  mean: [number, number, number];
  std: [number, number, number];
  /** `squash`: resize to size×size ignoring aspect (the paper's test transform); `shortest-side-crop`: CLIP's. */
  resize: 'squash' | 'shortest-side-crop';
  interpolation: 'bicubic' | 'bilinear';
}

/**
 * JSON that rebuilds a backbone's architecture (not its weights): `createBackbone(kind, { config })`
 * builds the same module tree. An export records it; the server's tfjs engine rebuilds from it.
 */
export interface BackboneDescription {
  /** Registry name of the backbone kind. */
  readonly kind: string;
  readonly specificationVersion: string;
  /** The architecture in the backbone's own terms (CLIP: its `ClipConfig`), accepted back as `config`. */
  readonly config: JsonValue;
}

/**
 * Options every backbone factory accepts (`createBackbone(kind, options)`); a backbone may take
 * more of its own. The trainer passes these from a run config, the server from an export.
 */
export interface BackboneOptions {
  /** The architecture: a name the backbone ships (`ViT-B-32`), a file, or the `config` of a `describe()`. Default: the backbone's own. */
  config?: string | JsonValue;
  /** Weight files to load strictly. Default: none — zeros, or random from `seed`. */
  weights?: string | readonly string[];
  /** Names in the weight files that are not the backbone's (a training checkpoint's adapters), set aside instead of refused. */
  ignore?: (name: string) => boolean;
  /** Random initialisation from this seed when no weights are given. */
  seed?: number | string;
  /** Where the tokenizer's vocabulary is, for backbones whose tokenizer needs files. Default: no tokenizer for those. */
  vocabulary?: string;
}

/**
 * A dual-encoder backbone: what HarMA, the losses, the trainer and the server need of it. All
 * parameters live in `module` under their state-dict names.
 */
export interface Backbone {
  readonly specificationVersion: typeof BACKBONE_SPECIFICATION_VERSION;
  /** Registry name of the backbone kind (`clip`). */
  readonly kind: string;
  readonly module: Module;
  readonly towers: { readonly vision: TowerSite; readonly text: TowerSite };
  /** Width of the shared embedding space. */
  readonly embedDim: number;
  readonly preprocess: ImagePreprocessSpec;
  /** Token ids per caption the text tower takes. */
  readonly contextLength: number;
  /** Rows of the text tower's token table: every id it is given must be below this. */
  readonly vocabularySize: number;
  /**
   * The tokenizer that makes this backbone's ids, when the factory had what it needs (a CLIP needs
   * its `vocabulary`); undefined otherwise (parameter counts, weights-only use).
   */
  readonly tokenizer: TextTokenizer | undefined;
  /** The architecture as JSON, to rebuild it elsewhere. */
  describe(): BackboneDescription;
  /**
   * Training or evaluation mode, as PyTorch's `model.train()` / `model.eval()`: the trainer sets
   * training mode for its optimiser steps and evaluation mode to evaluate. A backbone is built in
   * evaluation mode. Absent on backbones that compute the same in both modes (CLIP ViT); CLIP
   * ResNet's BatchNorm layers normalise with each batch's statistics in training mode (see
   * `TowerSite.batchDependent`).
   */
  setTraining?(training: boolean): void;
  /**
   * The Hugging Face transformers `config.json` fields (`model_type` and that model's config) that
   * let the standard classes of transformers and transformers.js open an export of this backbone
   * with `tokenizer` (the one the export saves: its special ids belong in the config); absent for
   * backbones transformers has no class for.
   */
  huggingFaceConfig?(tokenizer: TextTokenizer): JsonObject;
  /**
   * The `config.json` of the text tower alone as a transformers text model with a projection
   * (CLIP: `model_type: "clip_text_model"`, opened by `CLIPTextModelWithProjection`), with
   * `tokenizer`'s special ids: what lets transformers.js run an exported text graph of a backbone
   * whose whole model it has no class for (CLIP ResNet). Absent when transformers has no class
   * for the text tower either.
   */
  huggingFaceTextConfig?(tokenizer: TextTokenizer): JsonObject;
  /** `pixels` [batch, 3, size, size] float32, already normalised → [batch, embedDim]. */
  encodeImage(pixels: tf.Tensor, options?: EncodeOptions): tf.Tensor;
  /** `ids` [batch, contextLength] int32, zero padded → [batch, embedDim]. */
  encodeText(ids: tf.Tensor, options?: EncodeOptions): tf.Tensor;
  dispose(): void;
}
