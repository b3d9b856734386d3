import { statSync } from 'node:fs';
import { SHIPPED_MODEL_CONFIG_NAMES } from '@harma/backbones';

/** A backbone named on the command line: the registry kind that builds it and its factory's `config`. */
export interface NamedBackbone {
  /** The name as given: a shipped config name or a config file path. */
  name: string;
  /** Backbone registry kind (`clip`). */
  kind: string;
  /** The factory's `config` option (core's `BackboneOptions.config`). */
  config: string;
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
    // Any .json is read as an open_clip model config; the factory's parser names what it refuses.
    claims: (name) => name.endsWith('.json') || (SHIPPED_MODEL_CONFIG_NAMES as readonly string[]).includes(name),
  },
];

/** Shipped backbone names by kind, for help text and errors. */
export function shippedBackboneNames(): Array<{ kind: string; names: readonly string[] }> {
  return NAME_SOURCES.map((source) => ({ kind: source.kind, names: source.shipped() }));
}

/**
 * The backbone kind and config a `--backbone` value names: a shipped config (`ViT-B-32`,
 * `ViT-H-14`, …) or an open_clip model config `.json` file. Anything else — a folder, an unknown
 * name — is an error listing the shipped names.
 */
export function resolveBackboneName(name: string): NamedBackbone {
  const source = NAME_SOURCES.find((candidate) => candidate.claims(name));
  if (source) return { name, kind: source.kind, config: name };
  const shipped = shippedBackboneNames()
    .map(({ kind, names }) => `${kind}: ${names.join(', ')}`)
    .join('; ');
  const what = isDirectory(name) ? `'${name}' is a folder, which harma info does not read` : `unknown backbone '${name}'`;
  throw new Error(`${what}: give a shipped config name (${shipped}) or the path of an open_clip model config .json file`);
}

function isDirectory(name: string): boolean {
  try {
    return statSync(name).isDirectory();
  } catch {
    return false;
  }
}
