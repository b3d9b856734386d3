import type { HarmaOptions } from '@harma/adapters';
import { createClip, createClipResNet, validateClipConfig, validateClipResNetConfig, type ClipConfig, type ClipModel, type ClipResNetConfig, type ClipResNetModel } from '@harma/backbones';
import { parseGoldenModelConfig } from '@harma/test-support/golden-model-config';

/** What a golden model fixture builds: its CLIP architecture (ViT or ResNet image tower) and its HarMA adapters. */
export type FixtureModel =
  | { kind: 'clip'; clip: ClipConfig; harma: HarmaOptions }
  | { kind: 'clip-resnet'; clip: ClipResNetConfig; harma: HarmaOptions };

/** A fixture's backbone: a CLIP ViT or a CLIP ResNet, with their own forward outputs. */
export type FixtureBackbone = ClipModel | ClipResNetModel;

/**
 * The CLIP architecture and HarMA options a golden model fixture's config.json describes
 * (fixtures/golden/README.md), read by the repository's one reader of that layout; errors name
 * every bad field.
 */
export function fixtureModel(config: Record<string, unknown>): FixtureModel {
  const parsed = parseGoldenModelConfig(config, 'config.json');
  if (parsed.kind === 'clip-resnet') return { kind: 'clip-resnet', clip: validateClipResNetConfig(parsed.clip, 'config.json'), harma: parsed.harma };
  return { kind: 'clip', clip: validateClipConfig(parsed.clip, 'config.json'), harma: parsed.harma };
}

/** The fixture's backbone with zero weights, to be loaded. */
export function createFixtureBackbone(model: FixtureModel): FixtureBackbone {
  return model.kind === 'clip-resnet' ? createClipResNet(model.clip) : createClip(model.clip);
}
