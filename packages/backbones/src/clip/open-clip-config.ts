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

/** The image-tower family an open_clip model config describes, and the backbone kind that builds it. */
export type OpenClipConfigKind = 'clip' | 'clip-resnet';

/**
 * Which backbone kind reads an open_clip model config: `clip-resnet` when `vision_cfg.layers` is a
 * list (blocks per stage of a ModifiedResNet, open_clip's own test), else `clip` (a ViT).
 */
export function openClipConfigKind(json: unknown): OpenClipConfigKind {
  const vision = (json as { vision_cfg?: { layers?: unknown } } | null)?.vision_cfg;
  return Array.isArray(vision?.layers) ? 'clip-resnet' : 'clip';
}

/** open_clip's JSON validated, defaults filled in (the ViT and ResNet readers share it). */
export type OpenClipJson = z.output<typeof openClipSchema>;

/** Validate open_clip model-config JSON; errors name `source` and every bad field. */
export function readOpenClipJson(json: unknown, source: string): OpenClipJson {
  const parsed = openClipSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${source}: not a supported open_clip model config — ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** The square input side of `vision_cfg.image_size`; a non-square size is an error. */
export function squareImageSize(vision: OpenClipJson['vision_cfg'], source: string): number {
  const [height, width] = typeof vision.image_size === 'number' ? [vision.image_size, vision.image_size] : vision.image_size;
  if (height !== width) throw new Error(`${source}: vision_cfg.image_size [${height}, ${width}] is not square`);
  return height;
}

/** The text tower, activation and LayerNorm epsilon of a validated open_clip config, in `ClipConfig` terms. */
export function openClipTextTower(parsed: OpenClipJson): Pick<ClipConfig, 'text' | 'activation' | 'layerNormEps'> {
  const text = parsed.text_cfg;
  return {
    text: {
      contextLength: text.context_length,
      vocabSize: text.vocab_size,
      width: text.width,
      layers: text.layers,
      heads: text.heads,
      mlpRatio: text.mlp_ratio,
    },
    activation: parsed.quick_gelu ? 'quick_gelu' : 'gelu',
    layerNormEps: 1e-5,
  };
}

/** open_clip's `text_cfg` (and `quick_gelu` when set) of a config's text tower. */
export function toOpenClipTextTower(config: Pick<ClipConfig, 'text' | 'activation'>): { quick_gelu?: true; text_cfg: Record<string, number> } {
  const { text } = config;
  return {
    ...(config.activation === 'quick_gelu' ? { quick_gelu: true as const } : {}),
    text_cfg: {
      context_length: text.contextLength,
      vocab_size: text.vocabSize,
      width: text.width,
      heads: text.heads,
      layers: text.layers,
      mlp_ratio: text.mlpRatio,
    },
  };
}

/**
 * Read a model config in open_clip's `model_configs/*.json` layout (`embed_dim`, `vision_cfg`,
 * `text_cfg`, `quick_gelu`), with open_clip's defaults for absent fields (vision heads =
 * width / head_width, MLP width int(width · mlp_ratio)). Unknown fields and features this CLIP
 * does not implement (layer scale, attentional pooling, other pooling, timm or Hugging Face towers,
 * tokenizers other than CLIP BPE) are errors naming `source` and the field; a ModifiedResNet image
 * tower is read by `parseOpenClipResNetConfig` (backbone kind `clip-resnet`).
 */
export function parseOpenClipConfig(json: unknown, source = 'open_clip config'): ClipConfig {
  const parsed = readOpenClipJson(json, source);
  const { embed_dim: embedDim, vision_cfg: vision } = parsed;
  if (typeof vision.layers !== 'number') {
    throw new Error(`${source}: vision_cfg.layers is a list: a ModifiedResNet image tower, the clip-resnet backbone kind (parseOpenClipResNetConfig, loadResNetModelConfig), not a ViT`);
  }
  if (vision.patch_size === null) throw new Error(`${source}: vision_cfg.patch_size is null, but a ViT needs a patch size`);
  const imageSize = squareImageSize(vision, source);
  if (vision.width % vision.head_width !== 0) {
    throw new Error(`${source}: vision_cfg.width ${vision.width} is not a multiple of head_width ${vision.head_width}`);
  }
  return validateClipConfig(
    {
      embedDim,
      vision: {
        imageSize,
        patchSize: vision.patch_size,
        width: vision.width,
        layers: vision.layers,
        heads: vision.width / vision.head_width,
        mlpRatio: vision.mlp_ratio,
      },
      ...openClipTextTower(parsed),
    },
    source,
  );
}

/** The open_clip JSON of a config (inverse of `parseOpenClipConfig`), for saving next to weights. */
export function toOpenClipConfig(config: ClipConfig): Record<string, unknown> {
  const valid = validateClipConfig(config);
  const headWidth = valid.vision.width / valid.vision.heads;
  const { quick_gelu: quickGelu, text_cfg: textCfg } = toOpenClipTextTower(valid);
  return {
    embed_dim: valid.embedDim,
    ...(quickGelu ? { quick_gelu: quickGelu } : {}),
    vision_cfg: {
      image_size: valid.vision.imageSize,
      layers: valid.vision.layers,
      width: valid.vision.width,
      head_width: headWidth,
      patch_size: valid.vision.patchSize,
      mlp_ratio: valid.vision.mlpRatio,
    },
    text_cfg: textCfg,
  };
}
