import { SeededRandom, backboneRegistry, type Backbone, type BackboneFactory, type JsonValue } from '@harma/core';
import { ClipTokenizer } from '../tokenizer/clip-tokenizer';
import { createClip } from './clip-model';
import { validateClipConfig, type ClipConfig } from './config';
import { loadClip, type NameFilter } from './load-clip';
import { loadModelConfig } from './model-configs';

/** Options of the registered `clip` backbone factory (core's `BackboneOptions`, with CLIP's types). */
export interface ClipBackboneOptions {
  /**
   * A config object (what `describe()` gives), a shipped config name (`ViT-B-32`,
   * `ViT-B-32-quickgelu`, …) or an open_clip config path. Default: `ViT-B-32`.
   */
  config?: ClipConfig | JsonValue | string;
  /** Weight file(s) to load (any format `loadWeights` reads). Default: none — zeros, or random with `seed`. */
  weights?: string | readonly string[];
  /** Strict loading. Default: true. */
  strict?: boolean;
  /** Weight names that may be left over (see `LoadClipOptions.ignore`). */
  ignore?: NameFilter;
  /** Random initialisation (open_clip's) from this seed when no weights are given. */
  seed?: number | string;
  /**
   * The BPE vocabulary the model was trained with (open_clip `.txt.gz`, Hugging Face `vocab.json` +
   * `merges.txt` or `tokenizer.json`, or a folder holding them): the backbone's `tokenizer`.
   * Default: none (the backbone has no tokenizer).
   */
  vocabulary?: string;
}

function resolveConfig(config: ClipBackboneOptions['config']): ClipConfig {
  if (config === undefined || typeof config === 'string') return loadModelConfig(config ?? 'ViT-B-32');
  return validateClipConfig(config, 'CLIP backbone config');
}

/** The factory registered as `clip`. */
export const clipBackboneFactory: BackboneFactory<ClipBackboneOptions> = async (options) => {
  const config = resolveConfig(options.config);
  const tokenizer = options.vocabulary === undefined ? undefined : await ClipTokenizer.load(options.vocabulary, { contextLength: config.text.contextLength });
  if (options.weights !== undefined) {
    const { model, ignored } = await loadClip(config, options.weights, { strict: options.strict, ignore: options.ignore, tokenizer });
    // The factory returns the backbone only: tensors it was told to ignore are not kept.
    for (const tensor of ignored.values()) tensor.dispose();
    return model;
  }
  return createClip(config, { rng: options.seed === undefined ? undefined : new SeededRandom(options.seed), tokenizer }) as Backbone;
};

/**
 * Register the `clip` backbone in a registry (default: core's process-wide `backboneRegistry`);
 * registering it twice in one registry throws, as for every name.
 */
export function registerClipBackbones(registry: typeof backboneRegistry = backboneRegistry): void {
  registry.register('clip', clipBackboneFactory as BackboneFactory<never>);
}
