import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { referenceData, referencePath } from './reference-data';
import { repositoryRoot } from './repository';

const saved = process.env.HARMA_REFERENCE_DATA;

describe('referenceData', () => {
  afterEach(() => {
    if (saved === undefined) delete process.env.HARMA_REFERENCE_DATA;
    else process.env.HARMA_REFERENCE_DATA = saved;
  });

  it('reads $HARMA_REFERENCE_DATA and is available only with vocab/, datasets/annotations/ and golden/tokenizer/', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'test-support-reference-'));
    process.env.HARMA_REFERENCE_DATA = dir;
    mkdirSync(path.join(dir, 'vocab'));
    mkdirSync(path.join(dir, 'datasets', 'annotations'), { recursive: true });
    expect(referenceData()).toEqual({ dir, available: false });
    mkdirSync(path.join(dir, 'golden', 'tokenizer'), { recursive: true });
    expect(referenceData()).toEqual({ dir, available: true });
    expect(referencePath('vocab', 'bpe.txt.gz')).toBe(path.join(dir, 'vocab', 'bpe.txt.gz'));
  });

  it('defaults to ../shared beside the repository', () => {
    delete process.env.HARMA_REFERENCE_DATA;
    expect(referenceData().dir).toBe(path.resolve(repositoryRoot(), '..', 'shared'));
  });
});
