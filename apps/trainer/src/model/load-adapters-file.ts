import type { Backbone } from '@harma/core';
import { readSafetensorsHeader } from '@harma/core';
import { loadWeights } from '@harma/backbones';
import {
  ADAPTERS_FILE_FORMAT,
  attachingMethodNames,
  configuredAdapterOptions,
  isAdapterKind,
  loadAdapterTensors,
  loadAdapters,
  type AdapterAttachment,
  type AdapterKind,
  type AdapterOptions,
} from '@harma/adapters';
import type { TrainConfig } from '../config/train-config';

type AdapterType = TrainConfig['adapter']['type'];

/** The attach options a config gives an adapter method (without its random stream): the method's table entry maps them. */
export function methodOptions(config: TrainConfig, method: AdapterKind): AdapterOptions {
  return configuredAdapterOptions(method, config.adapter, { temperature: config.training.temperature });
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
  if (!isAdapterKind(type)) throw new Error(`${file} has no HarMA.js adapter metadata: set adapter.type (${attachingMethodNames().join(', ')}) to say which adapters it holds`);
  const tensors = await loadWeights(file);
  try {
    return loadAdapterTensors(tensors, backbone, { adapter: type, options: methodOptions(config, type), ignoreOthers: true, source: file });
  } finally {
    for (const tensor of tensors.values()) tensor.dispose();
  }
}
