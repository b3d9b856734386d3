import type { HarmaOptions } from '@harma/adapters';
import { validateClipConfig, type ClipConfig } from '@harma/backbones';
import { parseGoldenModelConfig } from '@harma/test-support/golden-model-config';

/** What a golden model fixture builds: its CLIP architecture and its HarMA adapters. */
export interface FixtureModel {
  clip: ClipConfig;
  harma: HarmaOptions;
}

/**
 * The CLIP architecture and HarMA options a golden model fixture's config.json describes
 * (fixtures/golden/README.md), read by the repository's one reader of that layout; errors name
 * every bad field.
 */
export function fixtureModel(config: Record<string, unknown>): FixtureModel {
  const parsed = parseGoldenModelConfig(config, 'config.json');
  return { clip: validateClipConfig(parsed.clip, 'config.json'), harma: parsed.harma };
}
