import { backboneRegistry, loadSafetensors, type Backbone, type BackboneFactory, type Registry } from '@harma/core';
import type * as tf from '@tensorflow/tfjs-core';
import { resolveConvDualEncoderConfig, type ConvDualEncoderConfig } from './config';
import { CONV_DUAL_ENCODER_KIND, ConvDualEncoder } from './conv-dual-encoder';

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
  const backbone = new ConvDualEncoder(config, { seed: files.length > 0 ? undefined : options.seed });
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

/**
 * Register the backbone as `conv-dual-encoder` in a registry (default: `@harma/core`'s process-wide
 * one, where the trainer and the server look kinds up). Registering twice in one registry throws,
 * as for every name; `registerConvDualEncoderOnce` does not.
 */
export function registerConvDualEncoder(registry: Registry<BackboneFactory<never>> = backboneRegistry): void {
  registry.register(CONV_DUAL_ENCODER_KIND, convDualEncoderFactory as BackboneFactory<never>);
}

/** Register unless the name is taken already (safe to call from several entry points). */
export function registerConvDualEncoderOnce(registry: Registry<BackboneFactory<never>> = backboneRegistry): void {
  if (!registry.has(CONV_DUAL_ENCODER_KIND)) registerConvDualEncoder(registry);
}
