import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The @harma/server package folder: the nearest folder above this module holding `web/index.html` (from `src/` in tests, `dist/` when built). */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'web', 'index.html')) && existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`@harma/server: its web/ folder was not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** The package version, shown in the OpenAPI document. */
export function packageVersion(): string {
  const json = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown };
  return typeof json.version === 'string' ? json.version : '0.0.0';
}
