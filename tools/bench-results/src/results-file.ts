import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '@harma/core';

/** One measurement in the repository's shared `bench/results.json`. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** What it is compared with (an anchor of DESIGN.md or a baseline of the same run), or null. */
  anchor: number | null;
  /** value / anchor, or null. */
  ratio: number | null;
  /** Where the anchor comes from (`PyTorch 1.13 in this run`, `DESIGN.md anchor`), where a bench says. */
  anchorSource?: string;
}

/**
 * A measurement rounded for the record: 4 significant digits, the ratio to 3 decimals. `anchor`
 * is a number or a figure with its source (a `PytorchFigure`); a source is recorded with it.
 */
export function benchResult(name: string, value: number, unit: string, anchor: number | { value: number; source: string } | null = null): BenchResult {
  const anchorValue = anchor === null || typeof anchor === 'number' ? anchor : anchor.value;
  return {
    name,
    value: Number(value.toPrecision(4)),
    unit,
    anchor: anchorValue === null ? null : Number(anchorValue.toPrecision(4)),
    ratio: anchorValue === null ? null : Number((value / anchorValue).toFixed(3)),
    ...(anchor !== null && typeof anchor !== 'number' ? { anchorSource: anchor.source } : {}),
  };
}

/** `bench/results.json` at the repository root (this package lives in `tools/bench-results`). */
export function repositoryResultsFile(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bench', 'results.json');
}

/**
 * Merge into `file` (a JSON array every benchmark writes to): entries of the same name are
 * replaced, the others kept; written atomically so an interrupted benchmark loses nothing.
 */
export async function mergeResults(file: string, results: readonly BenchResult[]): Promise<void> {
  let existing: BenchResult[] = [];
  if (existsSync(file)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new Error(`${file}: not valid JSON (${(error as Error).message}); move it aside to start a new record`);
    }
    if (!Array.isArray(parsed)) throw new Error(`${file}: expected a JSON array of measurements`);
    existing = parsed as BenchResult[];
  }
  const names = new Set(results.map((entry) => entry.name));
  await mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, `${JSON.stringify([...existing.filter((entry) => !names.has(entry.name)), ...results], null, 2)}\n`);
}
