import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClipConfig } from './config';
import { parseOpenClipConfig } from './open-clip-config';

const PACKAGE_NAME = '@harma/backbones';

/** Names of the model configs shipped in the package's `configs/` folder. */
export type ShippedModelConfigName =
  | 'ViT-B-32'
  | 'ViT-B-16'
  | 'ViT-L-14'
  | 'ViT-B-32-quickgelu'
  | 'ViT-B-16-quickgelu'
  | 'ViT-L-14-quickgelu';

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

/** Names of every shipped model config, sorted. */
export function listModelConfigs(): string[] {
  return readdirSync(modelConfigsDirectory())
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.slice(0, -'.json'.length))
    .sort();
}

/**
 * A shipped model config by name (`ViT-B-32`, `ViT-B-16`, `ViT-L-14`, each also `-quickgelu` for
 * OpenAI-trained weights), or any open_clip model config JSON by file path.
 */
export function loadModelConfig(name: ShippedModelConfigName | (string & {})): ClipConfig {
  const isPath = name.endsWith('.json') || name.includes('/') || name.includes(path.sep);
  const file = isPath ? path.resolve(name) : path.join(modelConfigsDirectory(), `${name}.json`);
  if (!existsSync(file)) {
    if (isPath) throw new Error(`${file}: model config file not found`);
    throw new Error(`unknown model config '${name}'; shipped: ${listModelConfigs().join(', ')} (or pass the path of an open_clip config .json)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${(error as Error).message})`);
  }
  return parseOpenClipConfig(json, file);
}
