import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClipConfig } from './config';
import { openClipConfigKind, parseOpenClipConfig, type OpenClipConfigKind } from './open-clip-config';

const PACKAGE_NAME = '@harma/backbones';

/**
 * Names of the model configs shipped in the package's `configs/` folder: open_clip's
 * `model_configs/*.json` files with their values unchanged, for open_clip's plain CLIP ViT sizes
 * from S/32 to bigG/14 (every one open_clip has weights for, and S, M, L/14-280, L/16, H/16).
 * `-quickgelu` variants are for weights trained with QuickGELU (OpenAI's and GeoRSCLIP's among them).
 */
export const SHIPPED_MODEL_CONFIG_NAMES = [
  'ViT-S-32',
  'ViT-S-16',
  'ViT-M-32',
  'ViT-M-16',
  'ViT-B-32',
  'ViT-B-32-quickgelu',
  'ViT-B-32-256',
  'ViT-B-16',
  'ViT-B-16-quickgelu',
  'ViT-B-16-plus-240',
  'ViT-L-14',
  'ViT-L-14-quickgelu',
  'ViT-L-14-280',
  'ViT-L-14-336',
  'ViT-L-14-336-quickgelu',
  'ViT-L-16',
  'ViT-L-16-320',
  'ViT-H-14',
  'ViT-H-14-quickgelu',
  'ViT-H-14-378',
  'ViT-H-14-378-quickgelu',
  'ViT-H-16',
  'ViT-g-14',
  'ViT-bigG-14',
  'ViT-bigG-14-quickgelu',
] as const;

/** Names of the model configs shipped in the package's `configs/` folder. */
export type ShippedModelConfigName = (typeof SHIPPED_MODEL_CONFIG_NAMES)[number];

let configsDirectory: string | undefined;

/**
 * The package's `configs/` folder. Found by walking up from this module to the package root, so
 * it works from `src/` (tests), `dist/index.js` and `dist/index.cjs` alike.
 */
export function modelConfigsDirectory(): string {
  if (configsDirectory !== undefined) return configsDirectory;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME) {
      configsDirectory = path.join(dir, 'configs');
      return configsDirectory;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the ${PACKAGE_NAME} package root (and its configs/ folder) above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** Names of every shipped model config file, sorted: the ViT ones (`clip`) and the ResNet ones (`clip-resnet`). */
export function listModelConfigs(): string[] {
  return readdirSync(modelConfigsDirectory())
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.slice(0, -'.json'.length))
    .sort();
}

/** An open_clip model config file, found by shipped name or path, and its JSON. */
export interface ModelConfigFile {
  file: string;
  json: unknown;
}

/**
 * Read a shipped model config by name, or any open_clip model config JSON by path (a name ending
 * in `.json` or containing a path separator). `shipped` lists the names in the error for an
 * unknown one.
 */
export function readModelConfigFile(name: string, shipped: readonly string[] = listModelConfigs()): ModelConfigFile {
  const isPath = name.endsWith('.json') || name.includes('/') || name.includes(path.sep);
  const file = isPath ? path.resolve(name) : path.join(modelConfigsDirectory(), `${name}.json`);
  if (!existsSync(file)) {
    if (isPath) throw new Error(`${file}: model config file not found`);
    throw new Error(`unknown model config '${name}'; shipped: ${shipped.join(', ')} (or pass the path of an open_clip config .json)`);
  }
  try {
    return { file, json: JSON.parse(readFileSync(file, 'utf8')) };
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${(error as Error).message})`);
  }
}

/**
 * The backbone kind that reads a shipped model config or an open_clip config file: `clip-resnet`
 * for a ModifiedResNet image tower, else `clip`. Undefined when the file does not exist or is
 * not JSON (the kind's own loader then says why).
 */
export function modelConfigKind(name: string): OpenClipConfigKind | undefined {
  try {
    return openClipConfigKind(readModelConfigFile(name).json);
  } catch {
    return undefined;
  }
}

/**
 * A shipped model config by name (`SHIPPED_MODEL_CONFIG_NAMES`: `ViT-B-32`, `ViT-L-14-336`,
 * `ViT-H-14`, `ViT-bigG-14`, …, `-quickgelu` for QuickGELU-trained weights), or any open_clip model
 * config JSON by file path. ResNet configs (`RN50`, …) are read by `loadResNetModelConfig`.
 */
export function loadModelConfig(name: ShippedModelConfigName | (string & {})): ClipConfig {
  const { file, json } = readModelConfigFile(name, [...SHIPPED_MODEL_CONFIG_NAMES].sort());
  return parseOpenClipConfig(json, file);
}
