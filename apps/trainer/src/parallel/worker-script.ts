import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The built training-worker entry (`dist/parallel/training-worker.js`), seen from the running
 * module: from `dist/cli.js` or `dist/index.js` it sits in `./parallel/`, from the sources
 * (tests, benchmarks run with vite-node) in the package's `dist/`, which must then be built.
 * Undefined when there is none.
 */
export function trainingWorkerScript(from: string = import.meta.url): string | undefined {
  for (const relative of ['./parallel/training-worker.js', './training-worker.js', '../../dist/parallel/training-worker.js']) {
    const candidate = fileURLToPath(new URL(relative, from));
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}
