import path from 'node:path';
import {
  backboneRegistry,
  loadSafetensors,
  tokenizerRegistry,
  type Backbone,
  type BackboneFactory,
  type Registry,
  type TokenizerLoader,
} from '@harma/core';
import type * as tf from '@tensorflow/tfjs-core';
import { resolveConvDualEncoderConfig, type ConvDualEncoderConfig } from './config';
import { CONV_DUAL_ENCODER_KIND, ConvDualEncoder } from './conv-dual-encoder';
import { WORD_TOKENIZER_KIND, WORD_VOCABULARY_FILE, WordTokenizer } from './word-tokenizer';

/** Names a weight file may hold besides the backbone's own (e.g. adapters in a training checkpoint). */
export type WeightNameFilter = readonly string[] | RegExp | ((name: string) => boolean);

/**
 * The options `createBackbone('conv-dual-encoder', options)` takes — the ones the trainer passes
 * (`config`, `weights` + `ignore`, or `seed`) and the server passes (`config` as the object its
 * export recorded).
 */
export interface ConvDualEncoderFactoryOptions {
  /** A preset name (`tiny`, `small`), a JSON file, or a config object. Default: `tiny`. */
  config?: string | ConvDualEncoderConfig;
  /** Safetensors file(s) holding the backbone's state dict; loaded strictly. Default: none. */
  weights?: string | readonly string[];
  /** Names in the weight files that are not the backbone's and are dropped instead of refused. */
  ignore?: WeightNameFilter;
  /** Random initialisation from this seed when no weights are given. Default: zeros. */
  seed?: number | string;
  /** The word vocabulary file (`writeWordVocabulary`) of its `WordTokenizer`. Default: no tokenizer. */
  vocabulary?: string;
}

function ignored(filter: WeightNameFilter | undefined, name: string): boolean {
  if (filter === undefined) return false;
  if (typeof filter === 'function') return filter(name);
  if (filter instanceof RegExp) return filter.test(name);
  return filter.includes(name);
}

/** Build the backbone a factory call describes; weight files are read with `@harma/core`'s safetensors reader. */
export const convDualEncoderFactory: BackboneFactory<ConvDualEncoderFactoryOptions> = async (options) => {
  const config = resolveConvDualEncoderConfig(options.config);
  const files = options.weights === undefined ? [] : typeof options.weights === 'string' ? [options.weights] : [...options.weights];
  const tokenizer = options.vocabulary === undefined ? undefined : await WordTokenizer.load(options.vocabulary, { contextLength: config.text.contextLength });
  const backbone = new ConvDualEncoder(config, { seed: files.length > 0 ? undefined : options.seed, tokenizer });
  const tensors = new Map<string, tf.Tensor>();
  try {
    for (const file of files) {
      const { tensors: read } = await loadSafetensors(file);
      for (const [name, tensor] of read) {
        if (ignored(options.ignore, name) || tensors.has(name)) tensor.dispose();
        else tensors.set(name, tensor);
      }
    }
    if (files.length > 0) backbone.module.loadStateDict(tensors, { strict: true, source: files.join(', ') });
    return backbone as Backbone;
  } catch (error) {
    backbone.dispose();
    throw error;
  } finally {
    for (const tensor of tensors.values()) tensor.dispose();
  }
};

/** Rebuilds a `WordTokenizer` that `save` wrote into a model folder (what the server reads from an export). */
export const wordTokenizerLoader: TokenizerLoader = async (dir, description) =>
  WordTokenizer.load(path.join(dir, description.files[0] ?? WORD_VOCABULARY_FILE), { contextLength: description.contextLength });

/** Where the plug-in registers its two kinds. Default: `@harma/core`'s process-wide registries. */
export interface ConvDualEncoderRegistries {
  backbones?: Registry<BackboneFactory<never>>;
  tokenizers?: Registry<TokenizerLoader>;
}

/**
 * Register the backbone as `conv-dual-encoder` and its tokenizer as `words` (by default in
 * `@harma/core`'s process-wide registries, where the trainer, the export loader and the server
 * look kinds up). Registering twice in one registry throws, as for every name;
 * `registerConvDualEncoderOnce` does not.
 */
export function registerConvDualEncoder(registries: ConvDualEncoderRegistries = {}): void {
  const { backbones = backboneRegistry, tokenizers = tokenizerRegistry } = registries;
  backbones.register(CONV_DUAL_ENCODER_KIND, convDualEncoderFactory as BackboneFactory<never>);
  tokenizers.register(WORD_TOKENIZER_KIND, wordTokenizerLoader);
}

/** Register what is not registered already (safe to call from several entry points). */
export function registerConvDualEncoderOnce(registries: ConvDualEncoderRegistries = {}): void {
  const { backbones = backboneRegistry, tokenizers = tokenizerRegistry } = registries;
  if (!backbones.has(CONV_DUAL_ENCODER_KIND)) backbones.register(CONV_DUAL_ENCODER_KIND, convDualEncoderFactory as BackboneFactory<never>);
  if (!tokenizers.has(WORD_TOKENIZER_KIND)) tokenizers.register(WORD_TOKENIZER_KIND, wordTokenizerLoader);
}
