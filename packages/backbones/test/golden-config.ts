import { readFileSync } from 'node:fs';
import { fixturePath, parseGoldenModelConfig, type GoldenModelConfig } from '@harma/test-support';
import { validateClipConfig, validateClipResNetConfig, type ClipConfig, type ClipResNetConfig } from '../src/index';

/** The golden model fixtures: two ViT ones and the ResNet one. */
export type GoldenFixture = 'tiny-gelu' | 'tiny-quickgelu' | 'tiny-rn';

function goldenConfig(name: GoldenFixture): GoldenModelConfig {
  const file = fixturePath('golden', name, 'config.json');
  return parseGoldenModelConfig(JSON.parse(readFileSync(file, 'utf8')), file);
}

/** Test support: the ClipConfig of a golden ViT model fixture (layout in fixtures/golden/README.md). */
export function goldenClipConfig(name: 'tiny-gelu' | 'tiny-quickgelu'): ClipConfig {
  return validateClipConfig(goldenConfig(name).clip, `golden ${name}/config.json`);
}

/** Test support: the ClipResNetConfig of the golden ResNet fixture. */
export function goldenResNetConfig(name: 'tiny-rn'): ClipResNetConfig {
  return validateClipResNetConfig(goldenConfig(name).clip, `golden ${name}/config.json`);
}

/** Path of a file of a golden model fixture. */
export function goldenFile(fixture: GoldenFixture, file: string): string {
  return fixturePath('golden', fixture, file);
}

/**
 * The names a golden fixture's weights hold beyond the backbone (adapters, gates, `temp`): its
 * config.json `trainable` list, the reference implementation's own answer. A checkpoint's extras
 * are @harma/adapters' business, which this package does not import.
 */
export function goldenAdapterNames(name: GoldenFixture): string[] {
  return goldenConfig(name).trainable;
}
