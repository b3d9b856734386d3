import { readFileSync } from 'node:fs';
import { fixturePath, parseGoldenModelConfig, type GoldenModelConfig } from '@harma/test-support';
import { validateClipConfig, type ClipConfig } from '../src/index';

function goldenConfig(name: 'tiny-gelu' | 'tiny-quickgelu'): GoldenModelConfig {
  const file = fixturePath('golden', name, 'config.json');
  return parseGoldenModelConfig(JSON.parse(readFileSync(file, 'utf8')), file);
}

/** Test support: the ClipConfig of a golden model fixture (layout in fixtures/golden/README.md). */
export function goldenClipConfig(name: 'tiny-gelu' | 'tiny-quickgelu'): ClipConfig {
  return validateClipConfig(goldenConfig(name).clip, `golden ${name}/config.json`);
}

/** Path of a file of a golden model fixture. */
export function goldenFile(fixture: 'tiny-gelu' | 'tiny-quickgelu', file: string): string {
  return fixturePath('golden', fixture, file);
}

/**
 * The names a golden fixture's weights hold beyond the backbone (adapters, gates, `temp`): its
 * config.json `trainable` list, the reference implementation's own answer. A checkpoint's extras
 * are @harma/adapters' business, which this package does not import.
 */
export function goldenAdapterNames(name: 'tiny-gelu' | 'tiny-quickgelu'): string[] {
  return goldenConfig(name).trainable;
}
