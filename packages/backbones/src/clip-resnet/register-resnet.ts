import { backboneRegistry, type BackboneFactory, type JsonValue } from '@harma/core';
import { loadedOrInitialised, type WeightSource } from '../clip/register';
import { ClipTokenizer } from '../tokenizer/clip-tokenizer';
import { createClipResNet } from './clip-resnet-model';
import { validateClipResNetConfig, type ClipResNetConfig } from './config';
import { loadResNetModelConfig } from './resnet-model-configs';

/** The kind CLIP ResNets are registered under. */
export const CLIP_RESNET_KIND = 'clip-resnet';

/** Options of the registered `clip-resnet` backbone factory (core's `BackboneOptions`, with its own types and `freezeBatchNorm`). */
export interface ClipResNetBackboneOptions extends WeightSource {
  /**
   * A config object (what `describe()` gives), a shipped config name (`RN50`, `RN50-quickgelu`, …)
   * or an open_clip ModifiedResNet config path (`.json`). Default: `RN50`.
   */
  config?: ClipResNetConfig | JsonValue | string;
  /** The BPE vocabulary the model was trained with (see `ClipBackboneOptions.vocabulary`). Default: none. */
  vocabulary?: string;
  /** Keep BatchNorm in evaluation mode while training (see `CreateClipResNetOptions.freezeBatchNorm`). Default: false. */
  freezeBatchNorm?: boolean;
}

/** The factory registered as `clip-resnet`. */
export const clipResNetBackboneFactory: BackboneFactory<ClipResNetBackboneOptions> = async (options) => {
  const { config } = options;
  const resolved = typeof config === 'string' || config === undefined ? loadResNetModelConfig(config ?? 'RN50') : validateClipResNetConfig(config, 'CLIP ResNet backbone config');
  const tokenizer = options.vocabulary === undefined ? undefined : await ClipTokenizer.load(options.vocabulary, { contextLength: resolved.text.contextLength });
  return loadedOrInitialised(options, (rng) => createClipResNet(resolved, { rng, tokenizer, freezeBatchNorm: options.freezeBatchNorm }));
};

/**
 * Register the `clip-resnet` backbone in a registry (default: core's process-wide
 * `backboneRegistry`); registering it twice in one registry throws, as for every name.
 */
export function registerClipResNetBackbones(registry: typeof backboneRegistry = backboneRegistry): void {
  registry.register(CLIP_RESNET_KIND, clipResNetBackboneFactory as BackboneFactory<never>);
}
