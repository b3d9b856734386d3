import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'vitest';

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

export interface ReferenceData {
  /** Folder the reference data is looked for in. */
  dir: string;
  /** Whether it holds the files tests need (`vocab/`, `datasets/annotations/`, `golden/tokenizer/`). */
  available: boolean;
}

/**
 * Where the reference data that is not ours to redistribute lives (CLIP vocabulary, real caption
 * files, tokenizer fixtures): `$HARMA_REFERENCE_DATA`, default `../shared` beside the repository.
 */
export function referenceData(): ReferenceData {
  const dir = path.resolve(process.env.HARMA_REFERENCE_DATA ?? path.join(repositoryRoot(), '..', 'shared'));
  const available = ['vocab', 'datasets/annotations', 'golden/tokenizer'].every((part) => existsSync(path.join(dir, part)));
  return { dir, available };
}

/** A path inside the reference data folder. */
export function referencePath(...parts: string[]): string {
  return path.join(referenceData().dir, ...parts);
}

/**
 * `describe` for tests that read reference data. When it is missing the suite does not run and
 * says so in its title and on stderr; with `HARMA_REQUIRE_REFERENCE=1` (set by `.ci/run`) a
 * missing folder fails instead.
 */
export function describeWithReferenceData(title: string, body: (dir: string) => void): void {
  const { dir, available } = referenceData();
  if (available) {
    describe(title, () => body(dir));
    return;
  }
  if (process.env.HARMA_REQUIRE_REFERENCE === '1') {
    describe(title, () => {
      it('has its reference data', () => {
        throw new Error(`reference data not found at ${dir} (set HARMA_REFERENCE_DATA to the folder holding vocab/, datasets/, golden/)`);
      });
    });
    return;
  }
  process.stderr.write(`NOT RUN: "${title}" — reference data not found at ${dir}; set HARMA_REFERENCE_DATA\n`);
  describe.skip(`${title} [NOT RUN: reference data not found at ${dir}; set HARMA_REFERENCE_DATA]`, () => body(dir));
}
