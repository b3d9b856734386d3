import { promises as fs } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { ZodError } from 'zod';
import { expandEnvironment } from './expand-environment';
import { trainConfigSchema, type TrainConfig } from './train-config';

/** A configuration that does not parse or validate; the message names the file and every bad field. */
export class ConfigError extends Error {
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'ConfigError';
  }
}

function describeIssues(error: ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}

/**
 * Set a dotted path (`training.lr`) in a plain object to a value given as text: YAML parsing
 * turns `4e-4`, `true`, `[0.9, 0.98]` into numbers, booleans, lists.
 */
export function applyOverride(target: Record<string, unknown>, assignment: string): void {
  const equals = assignment.indexOf('=');
  if (equals <= 0) throw new Error(`override '${assignment}' is not key.path=value`);
  const keys = assignment.slice(0, equals).trim().split('.');
  const value: unknown = YAML.parse(assignment.slice(equals + 1));
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (next === undefined || next === null) node[key] = {};
    else if (typeof next !== 'object' || Array.isArray(next)) throw new Error(`override '${assignment}': '${key}' is not a section`);
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1) as string] = value;
}

export interface LoadTrainConfigOptions {
  /**
   * A Hugging Face CLIP folder (`--backbone`): the backbone section becomes `{ kind: clip, config:
   * folder }` — sizes, weights and tokenizer from the folder — whatever the file says; the path
   * resolves against the working directory. Overrides still apply after it. Default: the file's
   * backbone section.
   */
  backbone?: string;
}

/**
 * Read a YAML training config, apply `key.path=value` overrides, validate it, and resolve its
 * paths relative to the config file's folder (absolute paths stay).
 */
export async function loadTrainConfig(file: string, overrides: readonly string[] = [], options: LoadTrainConfigOptions = {}): Promise<TrainConfig> {
  let raw: unknown;
  try {
    raw = YAML.parse(await fs.readFile(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(file, `cannot read YAML (${(error as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(file, 'the document is not a mapping');
  if (options.backbone !== undefined) (raw as Record<string, unknown>).backbone = { kind: 'clip', config: path.resolve(options.backbone) };
  for (const assignment of overrides) {
    try {
      applyOverride(raw as Record<string, unknown>, assignment);
    } catch (error) {
      throw new ConfigError(file, (error as Error).message);
    }
  }
  try {
    raw = expandEnvironment(raw);
  } catch (error) {
    throw new ConfigError(file, (error as Error).message);
  }
  return parseTrainConfig(raw, file);
}

/** Validate a config object and resolve its relative paths against `file`'s folder. */
export function parseTrainConfig(raw: unknown, file: string): TrainConfig {
  const parsed = trainConfigSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(file, describeIssues(parsed.error));
  const config = parsed.data;
  const base = path.dirname(path.resolve(file));
  const resolve = (p: string): string => (path.isAbsolute(p) ? p : path.resolve(base, p));
  // A name (`ViT-B-32`, a plug-in's preset) stays; a file or folder is written as a path.
  const { config: architecture } = config.backbone;
  const isPath = architecture.endsWith('.json') || architecture.includes('/') || architecture.includes(path.sep);
  return {
    ...config,
    backbone: {
      ...config.backbone,
      config: isPath ? resolve(architecture) : architecture,
      ...(config.backbone.plugin === undefined ? {} : { plugin: config.backbone.plugin.startsWith('.') ? resolve(config.backbone.plugin) : config.backbone.plugin }),
      weights: config.backbone.weights.map(resolve),
      ...(config.backbone.vocabulary === undefined ? {} : { vocabulary: resolve(config.backbone.vocabulary) }),
    },
    data: {
      ...config.data,
      train: config.data.train.map(resolve),
      val: resolve(config.data.val),
      test: resolve(config.data.test),
      images: resolve(config.data.images),
    },
    output: resolve(config.output),
  };
}
