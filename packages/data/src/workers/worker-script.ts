import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Where a built worker entry (`dist/workers/<name>.js`) is, seen from the running bundle:
 * `dist/index.js` and `dist/cli/*.js` both find it. Undefined when running from sources
 * (tests), where callers work in this thread instead.
 */
export function builtWorkerScript(name: string, from: string = import.meta.url): string | undefined {
  for (const relative of [`./workers/${name}.js`, `../workers/${name}.js`, `./${name}.js`]) {
    const candidate = fileURLToPath(new URL(relative, from));
    if (candidate.endsWith('.js') && existsSync(candidate)) return candidate;
  }
  return undefined;
}
