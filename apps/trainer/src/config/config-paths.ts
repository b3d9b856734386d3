import path from 'node:path';

/**
 * The config keys that hold file or folder paths. A relative path resolves against the config
 * file's folder when the file wrote it, and against the working directory when it came from the
 * command line (`--set`, `--output`, `--backbone`) or from an environment variable.
 */
export const CONFIG_PATH_KEYS = ['backbone.config', 'backbone.plugin', 'backbone.weights', 'backbone.vocabulary', 'data.train', 'data.val', 'data.test', 'data.images', 'output'] as const;

/** `data.train[2]` → `data.train`: the key a value sits under, list positions dropped. */
function keyOf(where: string): string {
  return where.replace(/\[\d+\]/g, '');
}

/** Whether a config key (`data.train[0]`, `output`) holds a path. */
export function isPathKey(where: string): boolean {
  return (CONFIG_PATH_KEYS as readonly string[]).includes(keyOf(where));
}

/**
 * A value of `key` as a path resolved against `base`, or unchanged where it is no path: a shipped
 * architecture name (`ViT-B-32`, no `/`, not `.json`) in `backbone.config`, a package specifier
 * (not starting with `.`) in `backbone.plugin`.
 */
export function resolveConfigPath(key: string, value: string, base: string): string {
  if (path.isAbsolute(value)) return value;
  const name = keyOf(key);
  if (name === 'backbone.config' && !(value.endsWith('.json') || value.includes('/') || value.includes(path.sep))) return value;
  if (name === 'backbone.plugin' && !value.startsWith('.')) return value;
  return path.resolve(base, value);
}

/**
 * A copy of a raw (not yet validated) config tree with the relative paths of every path key
 * resolved against `base`; values of the wrong type are left for the schema to report.
 */
export function resolveConfigPaths(raw: Record<string, unknown>, base: string): Record<string, unknown> {
  const visit = (value: unknown, where: string): unknown => {
    if (typeof value === 'string') return isPathKey(where) ? resolveConfigPath(where, value, base) : value;
    if (Array.isArray(value)) return isPathKey(where) ? value.map((item, i) => visit(item, `${where}[${i}]`)) : value;
    if (value !== null && typeof value === 'object' && (where === '' || where === 'backbone' || where === 'data')) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, visit(item, where ? `${where}.${key}` : key)]));
    }
    return value;
  };
  return visit(raw, '') as Record<string, unknown>;
}
