import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { SHIPPED_MODEL_CONFIG_NAMES, SHIPPED_RESNET_CONFIG_NAMES, modelConfigKind, readHuggingFaceClipFolder, type ClipConfig } from '@harma/backbones';

/** A backbone named on the command line: the registry kind that builds it and its factory's `config`. */
export interface NamedBackbone {
  /** The name as given: a shipped config name, a config file path or a Hugging Face model folder. */
  name: string;
  /** Backbone registry kind (`clip`, `clip-resnet`). */
  kind: string;
  /** The factory's `config` option (core's `BackboneOptions.config`): a name, a file, or the architecture read from a folder. */
  config: string | ClipConfig;
}

/** The names one backbone kind answers to; a new kind is one more entry in `NAME_SOURCES`. */
interface BackboneNameSource {
  kind: string;
  /** What a user can type besides a file: the shipped config names. */
  shipped(): readonly string[];
  /** Whether this kind reads `name` (one of its shipped names or a config file it understands). */
  claims(name: string): boolean;
}

const NAME_SOURCES: readonly BackboneNameSource[] = [
  {
    kind: 'clip',
    shipped: () => SHIPPED_MODEL_CONFIG_NAMES,
    // Any other .json is read as an open_clip ViT config; the factory's parser names what it refuses.
    claims: (name) => (name.endsWith('.json') && modelConfigKind(name) !== 'clip-resnet') || (SHIPPED_MODEL_CONFIG_NAMES as readonly string[]).includes(name),
  },
  {
    kind: 'clip-resnet',
    shipped: () => SHIPPED_RESNET_CONFIG_NAMES,
    // An open_clip config whose vision_cfg.layers is a list: a ModifiedResNet image tower.
    claims: (name) => (name.endsWith('.json') && modelConfigKind(name) === 'clip-resnet') || (SHIPPED_RESNET_CONFIG_NAMES as readonly string[]).includes(name),
  },
];

/** Shipped backbone names by kind, for help text and errors. */
export function shippedBackboneNames(): Array<{ kind: string; names: readonly string[] }> {
  return NAME_SOURCES.map((source) => ({ kind: source.kind, names: source.shipped() }));
}

/**
 * The backbone kind and config a `--backbone` value names: a shipped config (`ViT-B-32`,
 * `ViT-H-14`, … of kind `clip`; `RN50`, `RN50x64-quickgelu`, … of kind `clip-resnet`), an open_clip
 * model config `.json` file (ViT or ModifiedResNet), or a Hugging Face CLIP folder (only its
 * `config.json` is read: sizes, not weights). Anything else is an error listing the shipped names.
 */
export async function resolveBackboneName(name: string): Promise<NamedBackbone> {
  const source = NAME_SOURCES.find((candidate) => candidate.claims(name));
  if (source) return { name, kind: source.kind, config: name };
  if (isDirectory(name) && existsSync(path.join(name, 'config.json'))) {
    return { name, kind: 'clip', config: (await readHuggingFaceClipFolder(name, { weights: false, vocabulary: false })).config };
  }
  const shipped = shippedBackboneNames()
    .map(({ kind, names }) => `${kind}: ${names.join(', ')}`)
    .join('; ');
  const what = isDirectory(name) ? `'${name}' is a folder without a config.json` : `unknown backbone '${name}'`;
  throw new Error(`${what}: give a shipped config name (${shipped}), the path of an open_clip model config .json file, or a Hugging Face CLIP folder`);
}

function isDirectory(name: string): boolean {
  try {
    return statSync(name).isDirectory();
  } catch {
    return false;
  }
}
