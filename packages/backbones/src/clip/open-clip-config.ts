import { z } from 'zod';
import { describeIssues, validateClipConfig, type ClipConfig } from './config';

const positiveInt = z.number().int().positive();
const squareSide = z.union([positiveInt, z.tuple([positiveInt, positiveInt])]);

/**
 * open_clip fields HarMA.js's CLIP does not implement: accepted only at open_clip's default value,
 * so a config asking for a different architecture fails loudly instead of loading wrongly.
 */
const VISION_DEFAULT_ONLY: Record<string, unknown> = {
  ls_init_value: null,
  attentional_pool: false,
  no_ln_pre: false,
  pos_embed_type: 'learnable',
  final_ln_after_pool: false,
  pool_type: 'tok',
  act_kwargs: null,
  norm_kwargs: null,
  timm_model_name: null,
};

const TEXT_DEFAULT_ONLY: Record<string, unknown> = {
  ls_init_value: null,
  embed_cls: false,
  pad_id: 0,
  no_causal_mask: false,
  final_ln_after_pool: false,
  pool_type: 'argmax',
  proj_bias: false,
  proj_type: 'linear',
  act_kwargs: null,
  norm_kwargs: null,
  hf_model_name: null,
  // The backbone's tokenizer is CLIP BPE (its EOT id is the largest, which the argmax pooling
  // relies on): a config naming another tokenizer or changing its cleaning would tokenize wrongly.
  hf_tokenizer_name: null,
  tokenizer_kwargs: null,
};

const TOP_DEFAULT_ONLY: Record<string, unknown> = { init_logit_bias: null };

/** Fields that only matter for training or for open_clip's Python plumbing: read and ignored. */
const IGNORED = z.unknown().optional();

const visionSchema = z
  .object({
    image_size: squareSide.default(224),
    // null in open_clip's ModifiedResNet configs: refused below with the reason.
    patch_size: positiveInt.nullable().default(16),
    width: positiveInt.default(768),
    layers: z.union([positiveInt, z.array(z.unknown())]).default(12),
    head_width: positiveInt.default(64),
    mlp_ratio: z.number().positive().default(4),
    patch_dropout: IGNORED,
    output_tokens: IGNORED,
    attn_pooler_queries: IGNORED,
    attn_pooler_heads: IGNORED,
    timm_model_pretrained: IGNORED,
    timm_pool: IGNORED,
    timm_proj: IGNORED,
    timm_proj_bias: IGNORED,
    timm_drop: IGNORED,
    timm_drop_path: IGNORED,
    ...defaultOnlyShape(VISION_DEFAULT_ONLY),
  })
  .strict();

const textSchema = z
  .object({
    context_length: positiveInt.default(77),
    vocab_size: positiveInt.default(49408),
    width: positiveInt.default(512),
    heads: positiveInt.default(8),
    layers: positiveInt.default(12),
    mlp_ratio: z.number().positive().default(4),
    output_tokens: IGNORED,
    hf_model_pretrained: IGNORED,
    hf_proj_type: IGNORED,
    hf_pooler_type: IGNORED,
    ...defaultOnlyShape(TEXT_DEFAULT_ONLY),
  })
  .strict();

const openClipSchema = z
  .object({
    embed_dim: positiveInt,
    vision_cfg: visionSchema,
    text_cfg: textSchema,
    quick_gelu: z.boolean().default(false),
    custom_text: IGNORED,
    cast_dtype: IGNORED,
    init_logit_scale: IGNORED,
    output_dict: IGNORED,
    ...defaultOnlyShape(TOP_DEFAULT_ONLY),
  })
  .strict();

function defaultOnlyShape(fields: Record<string, unknown>): Record<string, z.ZodTypeAny> {
  const shape: Record<string, z.ZodTypeAny> = {};
  for (const [field, expected] of Object.entries(fields)) {
    shape[field] = z.unknown().superRefine((value, context) => {
      if (value !== undefined && !isEqualJson(value, expected)) {
        context.addIssue({
          code: 'custom',
          message: `${JSON.stringify(value)} is not supported (HarMA.js's CLIP implements only ${JSON.stringify(expected)})`,
        });
      }
    });
  }
  return shape;
}

function isEqualJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Read a model config in open_clip's `model_configs/*.json` layout (`embed_dim`, `vision_cfg`,
 * `text_cfg`, `quick_gelu`), with open_clip's defaults for absent fields (vision heads =
 * width / head_width, MLP width int(width · mlp_ratio)). Unknown fields and features this CLIP
 * does not implement (layer scale, attentional pooling, other pooling, timm or Hugging Face towers,
 * tokenizers other than CLIP BPE, ResNet image towers) are errors naming `source` and the field.
 */
export function parseOpenClipConfig(json: unknown, source = 'open_clip config'): ClipConfig {
  const parsed = openClipSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${source}: not a supported open_clip model config — ${describeIssues(parsed.error)}`);
  const { embed_dim: embedDim, vision_cfg: vision, text_cfg: text, quick_gelu: quickGelu } = parsed.data;
  if (typeof vision.layers !== 'number') {
    throw new Error(`${source}: vision_cfg.layers is a list: a ModifiedResNet image tower, which HarMA.js does not implement (ViT only)`);
  }
  if (vision.patch_size === null) throw new Error(`${source}: vision_cfg.patch_size is null, but a ViT needs a patch size`);
  const [height, width] = typeof vision.image_size === 'number' ? [vision.image_size, vision.image_size] : vision.image_size;
  if (height !== width) throw new Error(`${source}: vision_cfg.image_size [${height}, ${width}] is not square`);
  if (vision.width % vision.head_width !== 0) {
    throw new Error(`${source}: vision_cfg.width ${vision.width} is not a multiple of head_width ${vision.head_width}`);
  }
  return validateClipConfig(
    {
      embedDim,
      vision: {
        imageSize: height,
        patchSize: vision.patch_size,
        width: vision.width,
        layers: vision.layers,
        heads: vision.width / vision.head_width,
        mlpRatio: vision.mlp_ratio,
      },
      text: {
        contextLength: text.context_length,
        vocabSize: text.vocab_size,
        width: text.width,
        layers: text.layers,
        heads: text.heads,
        mlpRatio: text.mlp_ratio,
      },
      activation: quickGelu ? 'quick_gelu' : 'gelu',
      layerNormEps: 1e-5,
    },
    source,
  );
}

/** The open_clip JSON of a config (inverse of `parseOpenClipConfig`), for saving next to weights. */
export function toOpenClipConfig(config: ClipConfig): Record<string, unknown> {
  const valid = validateClipConfig(config);
  const headWidth = valid.vision.width / valid.vision.heads;
  return {
    embed_dim: valid.embedDim,
    ...(valid.activation === 'quick_gelu' ? { quick_gelu: true } : {}),
    vision_cfg: {
      image_size: valid.vision.imageSize,
      layers: valid.vision.layers,
      width: valid.vision.width,
      head_width: headWidth,
      patch_size: valid.vision.patchSize,
      mlp_ratio: valid.vision.mlpRatio,
    },
    text_cfg: {
      context_length: valid.text.contextLength,
      vocab_size: valid.text.vocabSize,
      width: valid.text.width,
      heads: valid.text.heads,
      layers: valid.text.layers,
      mlp_ratio: valid.text.mlpRatio,
    },
  };
}
