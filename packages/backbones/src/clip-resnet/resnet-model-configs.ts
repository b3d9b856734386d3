import { readModelConfigFile } from '../clip/model-configs';
import type { ClipResNetConfig } from './config';
import { parseOpenClipResNetConfig } from './open-clip-resnet-config';

/**
 * Names of the CLIP ResNet model configs shipped in the package's `configs/` folder: open_clip's
 * `model_configs/RN*.json` files with their values unchanged, for OpenAI's five ResNet CLIPs
 * (RemoteCLIP's RN50 is `RN50`). Their weights use QuickGELU in the text tower: the `-quickgelu`
 * twins are the ones to load them with.
 */
export const SHIPPED_RESNET_CONFIG_NAMES = [
  'RN50',
  'RN50-quickgelu',
  'RN101',
  'RN101-quickgelu',
  'RN50x4',
  'RN50x4-quickgelu',
  'RN50x16',
  'RN50x16-quickgelu',
  'RN50x64',
  'RN50x64-quickgelu',
] as const;

/** Names of the shipped CLIP ResNet model configs. */
export type ShippedResNetConfigName = (typeof SHIPPED_RESNET_CONFIG_NAMES)[number];

/** A shipped CLIP ResNet config by name (`RN50-quickgelu`, …), or an open_clip ModifiedResNet config JSON by path. */
export function loadResNetModelConfig(name: ShippedResNetConfigName | (string & {})): ClipResNetConfig {
  const { file, json } = readModelConfigFile(name, SHIPPED_RESNET_CONFIG_NAMES);
  return parseOpenClipResNetConfig(json, file);
}
