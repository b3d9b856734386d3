import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (two levels above this package's bench folder). */
export const REPOSITORY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** A path in the reference data (`$HARMA_REFERENCE_DATA`, default `../shared` beside the repository); exits when absent. */
export function referenceFile(...parts: string[]): string {
  const file = path.join(process.env.HARMA_REFERENCE_DATA ?? path.join(REPOSITORY, '..', 'shared'), ...parts);
  if (!existsSync(file)) {
    process.stderr.write(`bench: reference data not found: ${file} (set HARMA_REFERENCE_DATA)\n`);
    process.exit(2);
  }
  return file;
}

/** Seconds taken by `work`, and its result. */
export async function timed<T>(work: () => T | Promise<T>): Promise<{ seconds: number; result: T }> {
  const start = process.hrtime.bigint();
  const result = await work();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, result };
}
