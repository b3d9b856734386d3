import { loadBackboneWeights, type LoadClipOptions, type LoadedBackbone } from '../clip/load-clip';
import { createClipResNet, type ClipResNetModel, type CreateClipResNetOptions } from './clip-resnet-model';
import type { ClipResNetConfig } from './config';
import { loadResNetModelConfig } from './resnet-model-configs';

export interface LoadClipResNetOptions extends LoadClipOptions {
  /** See `CreateClipResNetOptions.freezeBatchNorm`. Default: false (the official BatchNorm behaviour). */
  freezeBatchNorm?: CreateClipResNetOptions['freezeBatchNorm'];
}

/**
 * Build a CLIP ResNet from a config (object, shipped name such as `RN50-quickgelu`, or open_clip
 * JSON path) and load it, parameters and BatchNorm buffers, from weight files of any format
 * `loadWeights` reads: open_clip / RemoteCLIP `.pt` (int64 `num_batches_tracked` read as int32),
 * OpenAI's TorchScript archives, safetensors. Strict by default, as `loadClip`.
 */
export async function loadClipResNet(config: ClipResNetConfig | string, files: string | readonly string[], options: LoadClipResNetOptions = {}): Promise<LoadedBackbone<ClipResNetModel>> {
  const resolved = typeof config === 'string' ? loadResNetModelConfig(config) : config;
  return loadBackboneWeights(() => createClipResNet(resolved, { tokenizer: options.tokenizer, freezeBatchNorm: options.freezeBatchNorm }), files, options);
}
