import { existsSync } from 'node:fs';
import path from 'node:path';
import { repositoryRoot } from './repository';

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
