import { readFileSync } from 'node:fs';
import { z } from 'zod';

const positiveInt = z.number().int().positive();

const visionSchema = z
  .object({
    /** Square input side in pixels; must be divisible by the product of the stem kernels. */
    imageSize: positiveInt,
    /** Kernel (= stride) of each patch convolution of the stem, e.g. [4, 2]: 32 px → 4×4 tokens. */
    stem: z.array(positiveInt).min(1),
    /** Channels after the first stem convolution (the last one outputs `width`). */
    stemWidth: positiveInt,
    width: positiveInt,
    layers: positiveInt,
    heads: positiveInt,
    /** MLP hidden width = mlpRatio · width. */
    mlpRatio: positiveInt,
  })
  .strict();

const textSchema = z
  .object({
    /** Token ids per caption, zero padded (the tokenizer's context length). */
    contextLength: positiveInt,
    /** Rows of the token embedding: must cover every id of the vocabulary used with the model. */
    vocabSize: positiveInt,
    width: positiveInt,
    layers: positiveInt,
    heads: positiveInt,
    mlpRatio: positiveInt,
  })
  .strict();

export const convDualEncoderConfigSchema = z
  .object({
    /** Width of the shared embedding space. */
    embedDim: positiveInt,
    vision: visionSchema,
    text: textSchema,
  })
  .strict()
  .superRefine((config, context) => {
    const reduction = config.vision.stem.reduce((a, b) => a * b, 1);
    if (config.vision.imageSize % reduction !== 0) {
      context.addIssue({ code: 'custom', path: ['vision', 'imageSize'], message: `${config.vision.imageSize} is not divisible by the stem's total stride ${reduction}` });
    }
    for (const tower of ['vision', 'text'] as const) {
      const { width, heads } = config[tower];
      if (width % heads !== 0) context.addIssue({ code: 'custom', path: [tower, 'heads'], message: `width ${width} is not divisible by ${heads} heads` });
    }
  });

export type ConvDualEncoderConfig = z.infer<typeof convDualEncoderConfigSchema>;

/** Shipped sizes. `vocabSize` 49,408 covers the CLIP vocabulary and any smaller one learned from captions. */
export const CONV_DUAL_ENCODER_PRESETS = {
  tiny: {
    embedDim: 32,
    vision: { imageSize: 32, stem: [4, 2], stemWidth: 16, width: 32, layers: 2, heads: 4, mlpRatio: 2 },
    text: { contextLength: 32, vocabSize: 49408, width: 32, layers: 2, heads: 4, mlpRatio: 2 },
  },
  small: {
    embedDim: 256,
    vision: { imageSize: 128, stem: [4, 4], stemWidth: 64, width: 256, layers: 6, heads: 8, mlpRatio: 4 },
    text: { contextLength: 77, vocabSize: 49408, width: 256, layers: 6, heads: 8, mlpRatio: 4 },
  },
} as const satisfies Record<string, ConvDualEncoderConfig>;

export type ConvDualEncoderPreset = keyof typeof CONV_DUAL_ENCODER_PRESETS;

/** Validate a config object; errors name the source and every bad field. */
export function parseConvDualEncoderConfig(value: unknown, source = 'config'): ConvDualEncoderConfig {
  const parsed = convDualEncoderConfigSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new Error(`conv-dual-encoder ${source}: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/**
 * A config from what the trainer and the server pass as `config`: a preset name (`tiny`, `small`),
 * the path of a JSON file, or the object itself (the server passes back what the export recorded).
 */
export function resolveConvDualEncoderConfig(config: string | ConvDualEncoderConfig | undefined): ConvDualEncoderConfig {
  if (config === undefined) return parseConvDualEncoderConfig(CONV_DUAL_ENCODER_PRESETS.tiny, 'preset tiny');
  if (typeof config === 'object') return parseConvDualEncoderConfig(config);
  if (Object.hasOwn(CONV_DUAL_ENCODER_PRESETS, config)) {
    return parseConvDualEncoderConfig(CONV_DUAL_ENCODER_PRESETS[config as ConvDualEncoderPreset], `preset ${config}`);
  }
  if (!config.endsWith('.json')) {
    throw new Error(`conv-dual-encoder: config '${config}' is neither a preset (${Object.keys(CONV_DUAL_ENCODER_PRESETS).join(', ')}) nor a .json file`);
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(config, 'utf8'));
  } catch (error) {
    throw new Error(`conv-dual-encoder: cannot read config ${config} (${(error as Error).message})`, { cause: error });
  }
  return parseConvDualEncoderConfig(json, config);
}

/** Image tokens the vision tower's blocks see: (imageSize / Π stem)². */
export function visionTokens(config: ConvDualEncoderConfig): number {
  const grid = config.vision.imageSize / config.vision.stem.reduce((a, b) => a * b, 1);
  return grid * grid;
}
