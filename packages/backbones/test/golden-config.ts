import { readFileSync } from 'node:fs';
import { fixturePath } from '@harma/test-support';
import type { ClipConfig } from '../src/index';

/**
 * Test support: the ClipConfig of a golden model fixture, read from its config.json (layout in
 * fixtures/golden/README.md). Not part of the package build.
 */
export function goldenClipConfig(name: 'tiny-gelu' | 'tiny-quickgelu'): ClipConfig {
  const json = JSON.parse(readFileSync(fixturePath('golden', name, 'config.json'), 'utf8'));
  return {
    embedDim: json.embed_dim,
    vision: {
      imageSize: json.vision.image_size,
      patchSize: json.vision.patch_size,
      width: json.vision.width,
      layers: json.vision.layers,
      heads: json.vision.heads,
      mlpRatio: json.vision.mlp_ratio,
    },
    text: {
      contextLength: json.text.context_length,
      vocabSize: json.text.vocab_size,
      width: json.text.width,
      layers: json.text.layers,
      heads: json.text.heads,
      mlpRatio: json.text.mlp_ratio,
    },
    activation: json.act,
    layerNormEps: json.ln_eps,
  };
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
  const json = JSON.parse(readFileSync(fixturePath('golden', name, 'config.json'), 'utf8')) as { trainable?: unknown };
  if (!Array.isArray(json.trainable) || !json.trainable.every((entry) => typeof entry === 'string')) {
    throw new Error(`golden ${name}/config.json: 'trainable' is not a list of parameter names`);
  }
  return json.trainable;
}
