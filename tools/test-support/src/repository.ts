import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The repository root: the nearest folder above the working directory holding `turbo.json`
 * and `fixtures/`. Tests run from a package folder, so this finds the monorepo.
 */
export function repositoryRoot(from = process.cwd()): string {
  let dir = path.resolve(from);
  for (;;) {
    if (existsSync(path.join(dir, 'turbo.json')) && existsSync(path.join(dir, 'fixtures'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no HarMA.js repository root (turbo.json + fixtures/) above ${from}`);
    dir = parent;
  }
}

/** A path inside the repository's committed test fixtures (`fixtures/...`). */
export function fixturePath(...parts: string[]): string {
  return path.join(repositoryRoot(), 'fixtures', ...parts);
}
