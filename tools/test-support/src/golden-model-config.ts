import { z } from 'zod';

const positiveInt = z.number().int().positive();
const tower = { width: positiveInt, layers: positiveInt, heads: positiveInt, mlp_ratio: z.number().positive() };

/** The part of a golden model fixture's config.json the tests build models from (fixtures/golden/README.md). */
const goldenModelConfigSchema = z.object({
  embed_dim: positiveInt,
  vision: z.object({ image_size: positiveInt, patch_size: positiveInt, ...tower }),
  text: z.object({ context_length: positiveInt, vocab_size: positiveInt, ...tower }),
  act: z.enum(['gelu', 'quick_gelu']),
  ln_eps: z.number().positive(),
  adapter: z
    .object({
      bottleneck: positiveInt,
      heads: positiveInt,
      share_heads: positiveInt,
      share_width: positiveInt.optional(),
      text_bishare: z.boolean().default(true),
      vision_bishare: z.boolean().default(false),
    })
    .refine((adapter) => adapter.share_width === undefined || adapter.share_width === adapter.bottleneck / 2, { message: 'share_width is not bottleneck/2', path: ['share_width'] })
    .refine((adapter) => adapter.text_bishare || !adapter.vision_bishare, { message: 'BiShare in the vision tower alone is not a HarMA placement', path: ['vision_bishare'] }),
  trainable: z.array(z.string()),
});

/**
 * A golden model fixture's architecture, adapters and trainable names under HarMA.js's option
 * names: `clip` is a `ClipConfig` and `harma` the options of `attachHarma` (the callers type and
 * validate them with `@harma/backbones` / `@harma/adapters`, which this package cannot import).
 */
export interface GoldenModelConfig {
  clip: {
    embedDim: number;
    vision: { imageSize: number; patchSize: number; width: number; layers: number; heads: number; mlpRatio: number };
    text: { contextLength: number; vocabSize: number; width: number; layers: number; heads: number; mlpRatio: number };
    activation: 'gelu' | 'quick_gelu';
    layerNormEps: number;
  };
  harma: { vision: { bottleneck: number; heads: number }; text: { bottleneck: number; heads: number }; bishare: 'text' | 'both' | 'none'; bishareHeads: number };
  /** The reference implementation's trainable parameter names (adapters, gates, `temp`). */
  trainable: string[];
}

/** Read a golden model fixture's parsed config.json; errors name `source` and every bad field. */
export function parseGoldenModelConfig(json: unknown, source = 'config.json'): GoldenModelConfig {
  const parsed = goldenModelConfigSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(`${source}: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`);
  }
  const { embed_dim, vision, text, act, ln_eps, adapter, trainable } = parsed.data;
  const { bottleneck, heads } = adapter;
  return {
    clip: {
      embedDim: embed_dim,
      vision: { imageSize: vision.image_size, patchSize: vision.patch_size, width: vision.width, layers: vision.layers, heads: vision.heads, mlpRatio: vision.mlp_ratio },
      text: { contextLength: text.context_length, vocabSize: text.vocab_size, width: text.width, layers: text.layers, heads: text.heads, mlpRatio: text.mlp_ratio },
      activation: act,
      layerNormEps: ln_eps,
    },
    harma: {
      vision: { bottleneck, heads },
      text: { bottleneck, heads },
      bishare: adapter.text_bishare ? (adapter.vision_bishare ? 'both' : 'text') : 'none',
      bishareHeads: adapter.share_heads,
    },
    trainable,
  };
}
