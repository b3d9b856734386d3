import type { JsonObject } from '@harma/core';
import { z } from 'zod';
import type { ClipTextTowerConfig } from './clip-root-module';
import { describeIssues, mlpWidth, validateClipConfig, type ClipConfig } from './config';

/** The special token ids a CLIP text config names. */
export interface ClipSpecialTokenIds {
  /** `<|startoftext|>`. Default: vocabulary size − 2 (open_clip's numbering). */
  bos?: number;
  /** `<|endoftext|>`. Default: vocabulary size − 1. */
  eos?: number;
  /** Padding: HarMA.js pads with 0 (the adapters see the padding, so it is part of the model). */
  pad?: number;
}

/** CLIP's `logit_scale` initial value, ln(1 / 0.07): what transformers' CLIPConfig records by default. */
const LOGIT_SCALE_INIT = 2.6592;

/** Fields transformers' `CLIPTextConfig` and `CLIPVisionConfig` share, in the order it writes them. */
function sharedTowerFields(tower: ClipTextTowerConfig): JsonObject {
  return { hidden_act: tower.activation, layer_norm_eps: tower.layerNormEps, projection_dim: tower.embedDim, attention_dropout: 0, initializer_range: 0.02, initializer_factor: 1 };
}

/** transformers' `CLIPTextConfig` of a CLIP's text tower: `CLIPConfig.text_config`, or on its own a text model's config. */
function clipTextConfig(tower: ClipTextTowerConfig, ids: ClipSpecialTokenIds): JsonObject {
  const { text } = tower;
  return {
    model_type: 'clip_text_model',
    vocab_size: text.vocabSize,
    hidden_size: text.width,
    intermediate_size: mlpWidth(text),
    num_hidden_layers: text.layers,
    num_attention_heads: text.heads,
    max_position_embeddings: text.contextLength,
    ...sharedTowerFields(tower),
    pad_token_id: ids.pad ?? 0,
    bos_token_id: ids.bos ?? text.vocabSize - 2,
    eos_token_id: ids.eos ?? text.vocabSize - 1,
  };
}

/**
 * A `ClipConfig` as Hugging Face transformers' `CLIPConfig` (`model_type: "clip"`, `text_config`,
 * `vision_config`, `projection_dim`): the `config.json` fields that let transformers and
 * transformers.js open a CLIP model folder with their standard CLIP classes.
 */
export function toHuggingFaceClipConfig(config: ClipConfig, ids: ClipSpecialTokenIds = {}): JsonObject {
  const valid = validateClipConfig(config);
  const { vision } = valid;
  return {
    architectures: ['CLIPModel'],
    model_type: 'clip',
    projection_dim: config.embedDim,
    logit_scale_init_value: LOGIT_SCALE_INIT,
    initializer_factor: 1,
    text_config: clipTextConfig(valid, ids),
    vision_config: {
      model_type: 'clip_vision_model',
      hidden_size: vision.width,
      intermediate_size: mlpWidth(vision),
      num_hidden_layers: vision.layers,
      num_attention_heads: vision.heads,
      num_channels: 3,
      image_size: vision.imageSize,
      patch_size: vision.patchSize,
      ...sharedTowerFields(valid),
    },
  };
}

/**
 * The text tower of any CLIP (ViT or ResNet image tower) as a `config.json` of its own:
 * transformers' `CLIPTextConfig` (`model_type: "clip_text_model"`, sizes, heads, layers,
 * activation, context length, vocabulary size, special token ids and `projection_dim`) of a
 * `CLIPTextModelWithProjection`, the class that gives the projected text embeddings.
 */
export function toHuggingFaceClipTextConfig(tower: ClipTextTowerConfig, ids: ClipSpecialTokenIds = {}): JsonObject {
  return { architectures: ['CLIPTextModelWithProjection'], ...clipTextConfig(tower, ids) };
}

const positiveInt = z.number().int().positive();
const activation = z.enum(['gelu', 'quick_gelu']).default('quick_gelu');
const layerNormEps = z.number().positive().default(1e-5);

/**
 * The fields of transformers' `CLIPConfig` a CLIP of this package is built from (others are
 * ignored), with transformers' own defaults: its `config.json` files leave out fields at their
 * default value.
 */
const huggingFaceClipConfigSchema = z.object({
  model_type: z.literal('clip', { errorMap: () => ({ message: 'is not "clip": only CLIP models are read from Hugging Face folders' }) }),
  projection_dim: positiveInt.default(512),
  text_config: z
    .object({
      vocab_size: positiveInt.default(49408),
      hidden_size: positiveInt.default(512),
      intermediate_size: positiveInt.default(2048),
      num_hidden_layers: positiveInt.default(12),
      num_attention_heads: positiveInt.default(8),
      max_position_embeddings: positiveInt.default(77),
      hidden_act: activation,
      layer_norm_eps: layerNormEps,
    })
    .default({}),
  vision_config: z
    .object({
      hidden_size: positiveInt.default(768),
      intermediate_size: positiveInt.default(3072),
      num_hidden_layers: positiveInt.default(12),
      num_attention_heads: positiveInt.default(12),
      num_channels: z.literal(3).default(3),
      image_size: positiveInt.default(224),
      patch_size: positiveInt.default(32),
      hidden_act: activation,
      layer_norm_eps: layerNormEps,
    })
    .default({}),
});

/** An MLP ratio whose `trunc(width · ratio)` is exactly `intermediate` (a plain quotient can land just below it). */
function mlpRatioFor(width: number, intermediate: number): number {
  const ratio = intermediate / width;
  return mlpWidth({ width, mlpRatio: ratio }) === intermediate ? ratio : (intermediate + 0.5) / width;
}

/**
 * The `ClipConfig` of a Hugging Face CLIP `config.json` (as users download them with
 * `model.safetensors`): sizes, heads, layers, activation, context length and vocabulary size.
 * Both towers must use the same activation and LayerNorm epsilon, as every released CLIP does.
 */
export function fromHuggingFaceClipConfig(json: unknown, source = 'config.json'): ClipConfig {
  const parsed = huggingFaceClipConfigSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${source}: not a Hugging Face CLIP config — ${describeIssues(parsed.error)}`);
  const { projection_dim, text_config: text, vision_config: vision } = parsed.data;
  for (const field of ['hidden_act', 'layer_norm_eps'] as const) {
    if (text[field] !== vision[field]) {
      throw new Error(`${source}: text_config.${field} (${text[field]}) differs from vision_config.${field} (${vision[field]}); HarMA.js builds CLIPs whose towers share them`);
    }
  }
  return validateClipConfig(
    {
      embedDim: projection_dim,
      vision: {
        imageSize: vision.image_size,
        patchSize: vision.patch_size,
        width: vision.hidden_size,
        layers: vision.num_hidden_layers,
        heads: vision.num_attention_heads,
        mlpRatio: mlpRatioFor(vision.hidden_size, vision.intermediate_size),
      },
      text: {
        contextLength: text.max_position_embeddings,
        vocabSize: text.vocab_size,
        width: text.hidden_size,
        layers: text.num_hidden_layers,
        heads: text.num_attention_heads,
        mlpRatio: mlpRatioFor(text.hidden_size, text.intermediate_size),
      },
      activation: text.hidden_act,
      layerNormEps: text.layer_norm_eps,
    },
    source,
  );
}
