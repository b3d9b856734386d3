import { z } from 'zod';
import { describeIssues, withVision, type ClipTextConfig } from '../clip/config';

/** Image tower of a CLIP ResNet: open_clip's `ModifiedResNet`. */
export interface ClipResNetVisionConfig {
  /** Square input side in pixels: a multiple of 32 (the tower's total stride). */
  imageSize: number;
  /** Bottleneck blocks in each of the four stages (RN50: [3, 4, 6, 3]). */
  layers: [number, number, number, number];
  /** Stem width; stage s (0-based) ends with width·2ˢ·4 channels, the tower's features have width·32. */
  width: number;
  /** Heads of the attention pooling (open_clip: width·32 / head_width). */
  heads: number;
}

/** Everything that fixes a CLIP ResNet architecture (open_clip's model config, in camelCase). */
export interface ClipResNetConfig {
  /** Width of the shared embedding space. */
  embedDim: number;
  vision: ClipResNetVisionConfig;
  text: ClipTextConfig;
  /** Activation of the text tower's MLPs (the ResNet uses ReLU): OpenAI's and RemoteCLIP's weights need `quick_gelu`. */
  activation: 'gelu' | 'quick_gelu';
  /** LayerNorm epsilon of the text tower; 1e-5 in every released CLIP. */
  layerNormEps: number;
  /** BatchNorm epsilon and momentum of the image tower: PyTorch's defaults, 1e-5 and 0.1, in every released CLIP ResNet. */
  batchNorm: { eps: number; momentum: number };
}

const positiveInt = z.number().int().positive();

/** Validates a `ClipResNetConfig` (the camelCase object `createClipResNet` takes). */
export const clipResNetConfigSchema = z
  .object({
    ...withVision(
      z
        .object({
          imageSize: positiveInt,
          layers: z.tuple([positiveInt, positiveInt, positiveInt, positiveInt]),
          width: positiveInt,
          heads: positiveInt,
        })
        .strict(),
    ),
    batchNorm: z.object({ eps: z.number().positive(), momentum: z.number().min(0).max(1) }).strict(),
  })
  .strict()
  .superRefine(({ vision }, context) => {
    if (vision.imageSize % 32 !== 0) {
      context.addIssue({ code: 'custom', path: ['vision', 'imageSize'], message: `imageSize ${vision.imageSize} is not a multiple of 32, the ResNet's total stride` });
    }
    if (vision.width % 2 !== 0) {
      context.addIssue({ code: 'custom', path: ['vision', 'width'], message: `width ${vision.width} is odd: the stem's first convolutions have width/2 channels` });
    }
    if ((vision.width * 32) % vision.heads !== 0) {
      context.addIssue({ code: 'custom', path: ['vision', 'heads'], message: `the attention pooling's width ${vision.width * 32} is not divisible by ${vision.heads} heads` });
    }
  });

/** Check a config object; throws naming `source` and every bad field. */
export function validateClipResNetConfig(config: unknown, source = 'CLIP ResNet config'): ClipResNetConfig {
  const parsed = clipResNetConfigSchema.safeParse(config);
  if (!parsed.success) throw new Error(`${source}: invalid CLIP ResNet config — ${describeIssues(parsed.error)}`);
  return parsed.data as ClipResNetConfig;
}

/** Width of the tower's features before the attention pooling's projection: width·32 (2048 for RN50). */
export function resNetFeatureWidth(vision: Pick<ClipResNetVisionConfig, 'width'>): number {
  return vision.width * 32;
}

/** Side of the last stage's feature grid: imageSize / 32 (7 for RN50 at 224). */
export function resNetGridSize(vision: Pick<ClipResNetVisionConfig, 'imageSize'>): number {
  return vision.imageSize / 32;
}
