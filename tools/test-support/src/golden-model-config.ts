import { z } from 'zod';

const positiveInt = z.number().int().positive();
const tower = { width: positiveInt, layers: positiveInt, heads: positiveInt, mlp_ratio: z.number().positive() };

const adapterSchema = z
  .object({
    bottleneck: positiveInt,
    heads: positiveInt,
    share_heads: positiveInt,
    share_width: positiveInt.optional(),
    text_bishare: z.boolean().default(true),
    vision_bishare: z.boolean().default(false),
  })
  .refine((adapter) => adapter.share_width === undefined || adapter.share_width === adapter.bottleneck / 2, { message: 'share_width is not bottleneck/2', path: ['share_width'] })
  .refine((adapter) => adapter.text_bishare || !adapter.vision_bishare, { message: 'BiShare in the vision tower alone is not a HarMA placement', path: ['vision_bishare'] });

/** What every model fixture's config.json holds besides its image tower. */
const common = {
  embed_dim: positiveInt,
  text: z.object({ context_length: positiveInt, vocab_size: positiveInt, ...tower }),
  act: z.enum(['gelu', 'quick_gelu']),
  ln_eps: z.number().positive(),
  adapter: adapterSchema,
  trainable: z.array(z.string()),
};

/** The part of a ViT model fixture's config.json the tests build models from (fixtures/golden/README.md). */
const goldenModelConfigSchema = z.object({
  ...common,
  vision: z.object({ image_size: positiveInt, patch_size: positiveInt, ...tower }),
});

/** The same for the ResNet fixture (`vision.type: "modified_resnet"`, README section "ResNet fixture"). */
const goldenResNetConfigSchema = z.object({
  ...common,
  vision: z
    .object({
      type: z.literal('modified_resnet'),
      image_size: positiveInt,
      layers: z.tuple([positiveInt, positiveInt, positiveInt, positiveInt]),
      width: positiveInt,
      head_width: positiveInt,
      heads: positiveInt,
    })
    .refine((vision) => vision.heads * vision.head_width === vision.width * 32, { message: 'heads is not width·32 / head_width', path: ['heads'] }),
  bn_eps: z.number().positive().default(1e-5),
  bn_momentum: z.number().min(0).max(1).default(0.1),
});

type Text = { contextLength: number; vocabSize: number; width: number; layers: number; heads: number; mlpRatio: number };

/** HarMA's options and the reference's trainable names, common to both image towers. */
interface GoldenModelCommon {
  harma: { vision: { bottleneck: number; heads: number }; text: { bottleneck: number; heads: number }; bishare: 'text' | 'both' | 'none'; bishareHeads: number };
  /** The reference implementation's trainable parameter names (adapters, gates, `temp`). */
  trainable: string[];
}

/** A ViT fixture: `clip` is a `ClipConfig`, built by the `clip` backbone kind. */
export interface GoldenClipModelConfig extends GoldenModelCommon {
  kind: 'clip';
  clip: {
    embedDim: number;
    vision: { imageSize: number; patchSize: number; width: number; layers: number; heads: number; mlpRatio: number };
    text: Text;
    activation: 'gelu' | 'quick_gelu';
    layerNormEps: number;
  };
}

/** A ResNet fixture: `clip` is a `ClipResNetConfig`, built by the `clip-resnet` backbone kind. */
export interface GoldenResNetModelConfig extends GoldenModelCommon {
  kind: 'clip-resnet';
  clip: {
    embedDim: number;
    vision: { imageSize: number; layers: [number, number, number, number]; width: number; heads: number };
    text: Text;
    activation: 'gelu' | 'quick_gelu';
    layerNormEps: number;
    batchNorm: { eps: number; momentum: number };
  };
}

/**
 * A golden model fixture's architecture, adapters and trainable names under HarMA.js's option
 * names: `kind` is the backbone kind that builds it, `clip` its config (`ClipConfig` or
 * `ClipResNetConfig`) and `harma` the options of `attachHarma` (the callers type and validate them
 * with `@harma/backbones` / `@harma/adapters`, which this package cannot import).
 */
export type GoldenModelConfig = GoldenClipModelConfig | GoldenResNetModelConfig;

function issues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}

function harmaOptions(adapter: z.output<typeof adapterSchema>): GoldenModelCommon['harma'] {
  const { bottleneck, heads } = adapter;
  return {
    vision: { bottleneck, heads },
    text: { bottleneck, heads },
    bishare: adapter.text_bishare ? (adapter.vision_bishare ? 'both' : 'text') : 'none',
    bishareHeads: adapter.share_heads,
  };
}

function textConfig(text: z.output<typeof common.text>): Text {
  return { contextLength: text.context_length, vocabSize: text.vocab_size, width: text.width, layers: text.layers, heads: text.heads, mlpRatio: text.mlp_ratio };
}

/**
 * Read a golden model fixture's parsed config.json — a ViT fixture, or the ResNet one when
 * `vision.type` is `modified_resnet`; errors name `source` and every bad field.
 */
export function parseGoldenModelConfig(json: unknown, source = 'config.json'): GoldenModelConfig {
  const vision = (json as { vision?: { type?: unknown } } | null)?.vision;
  if (vision?.type === 'modified_resnet') {
    const parsed = goldenResNetConfigSchema.safeParse(json);
    if (!parsed.success) throw new Error(`${source}: ${issues(parsed.error)}`);
    const { embed_dim, vision: resnet, text, act, ln_eps, adapter, trainable, bn_eps, bn_momentum } = parsed.data;
    return {
      kind: 'clip-resnet',
      clip: {
        embedDim: embed_dim,
        vision: { imageSize: resnet.image_size, layers: resnet.layers, width: resnet.width, heads: resnet.heads },
        text: textConfig(text),
        activation: act,
        layerNormEps: ln_eps,
        batchNorm: { eps: bn_eps, momentum: bn_momentum },
      },
      harma: harmaOptions(adapter),
      trainable,
    };
  }
  const parsed = goldenModelConfigSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${source}: ${issues(parsed.error)}`);
  const { embed_dim, vision: vit, text, act, ln_eps, adapter, trainable } = parsed.data;
  return {
    kind: 'clip',
    clip: {
      embedDim: embed_dim,
      vision: { imageSize: vit.image_size, patchSize: vit.patch_size, width: vit.width, layers: vit.layers, heads: vit.heads, mlpRatio: vit.mlp_ratio },
      text: textConfig(text),
      activation: act,
      layerNormEps: ln_eps,
    },
    harma: harmaOptions(adapter),
    trainable,
  };
}
