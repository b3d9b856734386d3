import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '@harma/core';

/** One measurement in the repository's shared `bench/results.json`. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** What it is compared with (a baseline measured in the same run), or null. */
  anchor: number | null;
  /** value / anchor, or null. */
  ratio: number | null;
}

export function result(name: string, value: number, unit: string, anchor: number | null = null): BenchResult {
  return { name, value: Number(value.toPrecision(4)), unit, anchor: anchor === null ? null : Number(anchor.toPrecision(4)), ratio: anchor === null ? null : Number((value / anchor).toFixed(3)) };
}

/** Merge into `file` (a JSON array other benchmarks write too): entries of the same name are replaced. */
export async function mergeResults(file: string, results: readonly BenchResult[]): Promise<void> {
  let existing: BenchResult[] = [];
  if (existsSync(file)) {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (!Array.isArray(parsed)) throw new Error(`${file}: expected a JSON array of measurements`);
    existing = parsed as BenchResult[];
  }
  const names = new Set(results.map((entry) => entry.name));
  await mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, `${JSON.stringify([...existing.filter((entry) => !names.has(entry.name)), ...results], null, 2)}\n`);
}
