import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { SeededRandom, backboneRegistry, type Backbone, type BackboneFactory, type JsonValue } from '@harma/core';
import { ClipTokenizer } from '../tokenizer/clip-tokenizer';
import { createClip } from './clip-model';
import { validateClipConfig, type ClipConfig } from './config';
import { checkEndOfTextPooling, readHuggingFaceClipFolder, type HuggingFaceClipFolder } from './hugging-face-folder';
import { loadBackboneWeights, type NameFilter } from './load-clip';
import { listModelConfigs, loadModelConfig } from './model-configs';

/** Options of the registered `clip` backbone factory (core's `BackboneOptions`, with CLIP's types). */
export interface ClipBackboneOptions {
  /**
   * A config object (what `describe()` gives), a shipped config name (`ViT-B-32`,
   * `ViT-B-32-quickgelu`, …), an open_clip config path (`.json`), or the path of a Hugging Face
   * CLIP folder (`config.json` + `model.safetensors` + tokenizer files, see
   * `readHuggingFaceClipFolder`), which also gives `weights` and `vocabulary` unless they are set.
   * A bare name is a shipped config unless no config has that name and it is a folder. Default:
   * `ViT-B-32`.
   */
  config?: ClipConfig | JsonValue | string;
  /**
   * Weight file(s) to load (any format `loadWeights` reads). Default: a Hugging Face folder's own,
   * else none — zeros, or random with `seed`. An empty list loads none, also from a folder.
   */
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
   * Default: a Hugging Face folder's tokenizer files, else none (the backbone has no tokenizer).
   */
  vocabulary?: string;
}

/** The Hugging Face folder a `config` string names, if it names one (see `ClipBackboneOptions.config`). */
function huggingFaceFolderOf(config: string): string | undefined {
  if (config.endsWith('.json')) return undefined;
  const isPath = path.isAbsolute(config) || config.includes('/') || config.includes(path.sep);
  if (isPath) return config;
  return !listModelConfigs().includes(config) && existsSync(config) && statSync(config).isDirectory() ? config : undefined;
}

interface ResolvedSource {
  config: ClipConfig;
  weights: string | readonly string[] | undefined;
  vocabulary: string | undefined;
  folder: HuggingFaceClipFolder | undefined;
}

async function resolveSource(options: ClipBackboneOptions): Promise<ResolvedSource> {
  const { config, weights, vocabulary } = options;
  if (config !== undefined && typeof config !== 'string') return { config: validateClipConfig(config, 'CLIP backbone config'), weights, vocabulary, folder: undefined };
  const folderPath = config === undefined ? undefined : huggingFaceFolderOf(config);
  if (folderPath === undefined) return { config: loadModelConfig(config ?? 'ViT-B-32'), weights, vocabulary, folder: undefined };
  const folder = await readHuggingFaceClipFolder(folderPath, { weights: weights === undefined, vocabulary: vocabulary === undefined });
  return { config: folder.config, weights: weights ?? folder.weights, vocabulary: vocabulary ?? folder.vocabulary, folder };
}

/** The factory registered as `clip`. */
export const clipBackboneFactory: BackboneFactory<ClipBackboneOptions> = async (options) => {
  const { config, weights, vocabulary, folder } = await resolveSource(options);
  const tokenizer = vocabulary === undefined ? undefined : await ClipTokenizer.load(vocabulary, { contextLength: config.text.contextLength });
  if (folder !== undefined && tokenizer !== undefined) checkEndOfTextPooling(folder, tokenizer);
  return loadedOrInitialised({ ...options, weights }, (rng) => createClip(config, { rng, tokenizer }));
};

/** What a CLIP factory needs to decide between weight files and a random initialisation. */
export interface WeightSource {
  weights?: string | readonly string[];
  strict?: boolean;
  ignore?: NameFilter;
  seed?: number | string;
}

/**
 * A backbone loaded from `weights` (strict by default, the ignored tensors dropped: a factory
 * returns the backbone only), or, without weight files, built by `create` — open_clip's random
 * initialisation from `seed`, else zeros.
 */
export async function loadedOrInitialised<Model extends Backbone>(source: WeightSource, create: (rng?: SeededRandom) => Model): Promise<Model> {
  const { weights } = source;
  if (weights !== undefined && weights.length > 0) {
    const { model, ignored } = await loadBackboneWeights(() => create(), weights, { strict: source.strict, ignore: source.ignore });
    for (const tensor of ignored.values()) tensor.dispose();
    return model;
  }
  return create(source.seed === undefined ? undefined : new SeededRandom(source.seed));
}

/**
 * Register the `clip` backbone in a registry (default: core's process-wide `backboneRegistry`);
 * registering it twice in one registry throws, as for every name.
 */
export function registerClipBackbones(registry: typeof backboneRegistry = backboneRegistry): void {
  registry.register('clip', clipBackboneFactory as BackboneFactory<never>);
}
