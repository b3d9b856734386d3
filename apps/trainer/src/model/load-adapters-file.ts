import type { Backbone } from '@harma/core';
import { readSafetensorsHeader } from '@harma/core';
import { loadWeights } from '@harma/backbones';
import {
  ADAPTERS_FILE_FORMAT,
  loadAdapterTensors,
  loadAdapters,
  type AdapterAttachment,
  type ClipAdapterOptions,
  type HarmaOptions,
  type LoraOptions,
} from '@harma/adapters';
import type { TrainConfig } from '../config/train-config';

type AdapterType = TrainConfig['adapter']['type'];
type MethodOptions = {
  harma: Omit<HarmaOptions, 'rng'>;
  'clip-adapter': Omit<ClipAdapterOptions, 'rng'>;
  lora: Omit<LoraOptions, 'rng'>;
};

/** The options a config gives an adapter method (without its random stream). */
export function methodOptions<Method extends keyof MethodOptions>(config: TrainConfig, method: Method): MethodOptions[Method] {
  const temperature = config.training.temperature;
  const { harma, clipAdapter, lora } = config.adapter;
  const byMethod: MethodOptions = {
    harma: { vision: { bottleneck: harma.bottleneck, heads: harma.heads }, text: { bottleneck: harma.bottleneck, heads: harma.heads }, bishare: harma.share, bishareHeads: harma.shareHeads, temperature },
    'clip-adapter': { ...clipAdapter, temperature },
    lora: { ...lora, temperature },
  };
  return byMethod[method];
}

/** Whether `file` is an adapters-only file written by HarMA.js (safetensors with its metadata). */
async function isHarmaJsAdaptersFile(file: string): Promise<boolean> {
  try {
    return (await readSafetensorsHeader(file)).metadata.format === ADAPTERS_FILE_FORMAT;
  } catch {
    return false;
  }
}

/**
 * `--adapters <file>`: a HarMA.js adapters file (its metadata says the method and options), or
 * any weight file that holds the adapters under the official names — the official code's
 * `checkpoint_best.pth` (backbone and adapters together: only the adapters, gates and `temp` are
 * taken), an open_clip `.pt`, a plain safetensors — read with the config's adapter type and
 * options. Errors name the file.
 */
export async function loadAdaptersFile(file: string, backbone: Backbone, config: TrainConfig, type: AdapterType): Promise<AdapterAttachment> {
  if (await isHarmaJsAdaptersFile(file)) {
    const attachment = await loadAdapters(file, backbone);
    if (attachment.kind !== type && type !== 'none') throw new Error(`${file} holds ${attachment.kind} adapters but the run asks for ${type}`);
    return attachment;
  }
  if (type === 'none') throw new Error(`${file} has no HarMA.js adapter metadata: set adapter.type (harma, clip-adapter, lora) to say which adapters it holds`);
  const tensors = await loadWeights(file);
  try {
    return loadAdapterTensors(tensors, backbone, { adapter: type, options: methodOptions(config, type), ignoreOthers: true, source: file });
  } finally {
    for (const tensor of tensors.values()) tensor.dispose();
  }
}
