import { z } from 'zod';

/** Image tower of a CLIP ViT. */
export interface ClipVisionConfig {
  /** Square input side in pixels. */
  imageSize: number;
  /** Side of the square patches (the stride of the patch embedding). */
  patchSize: number;
  width: number;
  layers: number;
  heads: number;
  /** MLP hidden width = trunc(width · mlpRatio), as open_clip. */
  mlpRatio: number;
}

/** Text tower of a CLIP (causal transformer over BPE ids). */
export interface ClipTextConfig {
  contextLength: number;
  vocabSize: number;
  width: number;
  layers: number;
  heads: number;
  mlpRatio: number;
}

/** Everything that fixes a CLIP architecture (open_clip's model config, in camelCase). */
export interface ClipConfig {
  /** Width of the shared embedding space. */
  embedDim: number;
  vision: ClipVisionConfig;
  text: ClipTextConfig;
  /** Activation of the backbone MLPs: OpenAI weights need `quick_gelu`, LAION ones `gelu`. */
  activation: 'gelu' | 'quick_gelu';
  /** LayerNorm epsilon; 1e-5 in every released CLIP. */
  layerNormEps: number;
}

const positiveInt = z.number().int().positive();

const towerShape = {
  width: positiveInt,
  layers: positiveInt,
  heads: positiveInt,
  mlpRatio: z.number().positive(),
};

/** The text tower's fields, shared by every CLIP config (ViT and ResNet image towers alike). */
export const clipTextTowerShape = {
  embedDim: positiveInt,
  text: z
    .object({ contextLength: positiveInt, vocabSize: positiveInt, ...towerShape })
    .strict()
    .refine((text) => text.width % text.heads === 0, (text) => ({ path: ['heads'], message: `width ${text.width} is not divisible by ${text.heads} heads` })),
  activation: z.enum(['gelu', 'quick_gelu']),
  layerNormEps: z.number().positive(),
};

/** A CLIP config's fields in open_clip's order — `embedDim`, `vision`, then the text tower's — for an image tower schema. */
export function withVision<Vision extends z.ZodTypeAny>(vision: Vision): { embedDim: typeof clipTextTowerShape.embedDim; vision: Vision } & Omit<typeof clipTextTowerShape, 'embedDim'> {
  const { embedDim, ...text } = clipTextTowerShape;
  return { embedDim, vision, ...text };
}

/** Validates a `ClipConfig` (the camelCase object `createClip` takes). */
export const clipConfigSchema = z
  .object(withVision(z.object({ imageSize: positiveInt, patchSize: positiveInt, ...towerShape }).strict()))
  .strict()
  .superRefine(({ vision }, context) => {
    if (vision.imageSize % vision.patchSize !== 0) {
      context.addIssue({ code: 'custom', path: ['vision', 'patchSize'], message: `imageSize ${vision.imageSize} is not a multiple of patchSize ${vision.patchSize}` });
    }
    if (vision.width % vision.heads !== 0) {
      context.addIssue({ code: 'custom', path: ['vision', 'heads'], message: `width ${vision.width} is not divisible by ${vision.heads} heads` });
    }
  });

/** Zod issues as `field.path: message; …`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`).join('; ');
}

/** Check a config object; throws naming `source` and every bad field. */
export function validateClipConfig(config: unknown, source = 'CLIP config'): ClipConfig {
  const parsed = clipConfigSchema.safeParse(config);
  if (!parsed.success) throw new Error(`${source}: invalid CLIP config — ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** Tokens the image tower sees: the class token plus one per patch. */
export function visionTokens(vision: Pick<ClipVisionConfig, 'imageSize' | 'patchSize'>): number {
  const grid = vision.imageSize / vision.patchSize;
  return 1 + grid * grid;
}

/** Hidden width of a block's MLP, `int(width · mlp_ratio)` as open_clip computes it. */
export function mlpWidth(tower: { width: number; mlpRatio: number }): number {
  return Math.trunc(tower.width * tower.mlpRatio);
}
