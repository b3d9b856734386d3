import { createHash } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The folder older versions kept the index in, inside the gallery; still used where it exists. */
export const LEGACY_INDEX_FOLDER = '.harma-index';

/**
 * The user's cache folder: `$XDG_CACHE_HOME` when it is an absolute path (XDG Base Directory
 * rule), else `~/.cache`.
 */
export function userCacheDir(env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): string {
  const xdg = env.XDG_CACHE_HOME;
  return xdg !== undefined && path.isAbsolute(xdg) ? xdg : path.join(home, '.cache');
}

/**
 * Where the index of `gallery` lives when no index folder is given: an existing
 * `<gallery>/.harma-index` (written there by earlier versions, so that nothing is embedded again),
 * else `<user cache>/harma/index/<first 16 hex digits of the SHA-256 of the gallery's real path>`
 * — nothing is written into the user's image folder, and two paths to one folder share an index.
 */
export function defaultIndexDir(gallery: string, env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): string {
  const absolute = path.resolve(gallery);
  const legacy = path.join(absolute, LEGACY_INDEX_FOLDER);
  if (existsSync(legacy)) return legacy;
  let real = absolute;
  try {
    real = realpathSync(absolute);
  } catch {
    // A missing gallery is reported when it is opened; its path still names an index.
  }
  const key = createHash('sha256').update(real).digest('hex').slice(0, 16);
  return path.join(userCacheDir(env, home), 'harma', 'index', key);
}
