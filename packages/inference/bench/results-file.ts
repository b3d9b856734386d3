import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** One measurement in the repository's shared `bench/results.json`. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** The DESIGN.md anchor it is compared with (null when there is none). */
  anchor: number | null;
  /** value / anchor. */
  ratio: number | null;
}

export function result(name: string, value: number, unit: string, anchor: number | null): BenchResult {
  return { name, value: Number(value.toPrecision(4)), unit, anchor, ratio: anchor === null ? null : Number((value / anchor).toFixed(3)) };
}

/**
 * Merge results into `file` (a JSON array other benchmarks write too): an entry with the same
 * name is replaced, the others kept.
 */
export function mergeResults(file: string, results: readonly BenchResult[]): void {
  let existing: BenchResult[] = [];
  if (existsSync(file)) {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (!Array.isArray(parsed)) throw new Error(`${file}: expected a JSON array of measurements`);
    existing = parsed as BenchResult[];
  }
  const names = new Set(results.map((r) => r.name));
  const merged = [...existing.filter((r) => !names.has(r.name)), ...results];
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(merged, null, 2)}\n`);
}
