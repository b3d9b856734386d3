import { promises as fs } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { ZodError } from 'zod';
import { isPathKey, resolveConfigPaths } from './config-paths';
import { expandEnvironment, type EnvironmentValueHook } from './expand-environment';
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
 * `training.lr=4e-4` → the key path and the value, parsed as YAML (`4e-4`, `true`, `[0.9, 0.98]`
 * become numbers, booleans, lists); text YAML cannot read (`@scope/plugin`) stays text.
 */
function parseOverride(assignment: string): { keys: string[]; value: unknown } {
  const equals = assignment.indexOf('=');
  if (equals <= 0) throw new Error(`override '${assignment}' is not key.path=value`);
  const text = assignment.slice(equals + 1);
  let value: unknown;
  try {
    value = YAML.parse(text) as unknown;
  } catch {
    value = text;
  }
  return { keys: assignment.slice(0, equals).trim().split('.'), value };
}

function setAt(target: Record<string, unknown>, keys: readonly string[], value: unknown, assignment: string): void {
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (next === undefined || next === null) node[key] = {};
    else if (typeof next !== 'object' || Array.isArray(next)) throw new Error(`override '${assignment}': '${key}' is not a section`);
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1) as string] = value;
}

function getAt(source: Record<string, unknown>, keys: readonly string[]): unknown {
  return keys.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], source);
}

/** Set a dotted path (`training.lr`) in a plain object to a value given as text, parsed as YAML. */
export function applyOverride(target: Record<string, unknown>, assignment: string): void {
  const { keys, value } = parseOverride(assignment);
  setAt(target, keys, value, assignment);
}

export interface LoadTrainConfigOptions {
  /**
   * A Hugging Face CLIP folder (`--backbone`): the backbone section becomes `{ kind: clip, config:
   * folder }` — sizes, weights and tokenizer from the folder — whatever the file says; the path
   * resolves against `cwd`. Overrides still apply after it. Default: the file's backbone section.
   */
  backbone?: string;
  /**
   * The working directory: command-line values (overrides, `backbone`, the config file's own path),
   * relative values of environment variables that start a path, and the default run folder
   * `runs/<name>` resolve against it. Default: `process.cwd()`.
   */
  cwd?: string;
}

/**
 * Read a YAML training config, apply `key.path=value` overrides, validate it, and resolve its
 * paths: a relative path written in the file resolves against the file's folder; one given on the
 * command line (an override, `backbone`) or by an environment variable (`${HARMA_DATA}/rsitmd`
 * with `HARMA_DATA=data`) resolves against the working directory. Without `output`, the run goes
 * to `runs/<name>` under the working directory.
 */
export async function loadTrainConfig(file: string, overrides: readonly string[] = [], options: LoadTrainConfigOptions = {}): Promise<TrainConfig> {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const configFile = path.resolve(cwd, file);
  let raw: unknown;
  try {
    raw = YAML.parse(await fs.readFile(configFile, 'utf8'));
  } catch (error) {
    throw new ConfigError(file, `cannot read YAML (${(error as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(file, 'the document is not a mapping');
  // An environment value is typed on the command line: a relative path in it means the working directory.
  const fromEnvironment: EnvironmentValueHook = (value, { where, atStart }) => (atStart && isPathKey(where) ? path.resolve(cwd, value) : value);
  let tree: Record<string, unknown>;
  try {
    tree = resolveConfigPaths(expandEnvironment(raw, process.env, '', fromEnvironment) as Record<string, unknown>, path.dirname(configFile));
    if (options.backbone !== undefined) tree.backbone = { kind: 'clip', config: path.resolve(cwd, options.backbone) };
    for (const assignment of overrides) {
      const { keys, value } = parseOverride(assignment);
      // The value alone, placed at its key, so that its paths resolve against the working directory.
      const partial: Record<string, unknown> = {};
      setAt(partial, keys, expandEnvironment(value, process.env, keys.join('.'), fromEnvironment), assignment);
      setAt(tree, keys, getAt(resolveConfigPaths(partial, cwd), keys), assignment);
    }
  } catch (error) {
    throw new ConfigError(file, (error as Error).message);
  }
  return validate(withDefaultOutput(tree, cwd), file);
}

/** `output` defaults to `runs/<name>` under the working directory: runs belong where the user works, not beside a shipped config. */
function withDefaultOutput(tree: Record<string, unknown>, cwd: string): Record<string, unknown> {
  if (tree.output !== undefined || typeof tree.name !== 'string') return tree;
  return { ...tree, output: path.resolve(cwd, 'runs', tree.name) };
}

function validate(tree: unknown, file: string): TrainConfig {
  const parsed = trainConfigSchema.safeParse(tree);
  if (!parsed.success) throw new ConfigError(file, describeIssues(parsed.error));
  return parsed.data;
}

/**
 * Validate a config object as if read from `file`: its relative paths resolve against `file`'s
 * folder; without `output` the run goes to `runs/<name>` under `cwd` (default: the working directory).
 */
export function parseTrainConfig(raw: unknown, file: string, options: { cwd?: string } = {}): TrainConfig {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(file, 'the document is not a mapping');
  const tree = resolveConfigPaths(raw as Record<string, unknown>, path.dirname(path.resolve(cwd, file)));
  return validate(withDefaultOutput(tree, cwd), file);
}
