// Suites for src/describe-with-reference-data.test.ts, which runs this file in a child vitest
// (test/vitest.suites.config.ts) with the two folders below; never run on its own.
import { expect, it } from 'vitest';
import type * as TestSupport from '../src/index';

// The built package entry, as the packages' tests load it: a build that bundled its own copy of
// vitest registered these suites nowhere. A variable keeps the type checker off the build output.
const entry: string = '@harma/test-support';
const { describeWithReferenceData } = (await import(entry)) as typeof TestSupport;

const empty = process.env.SUITES_EMPTY_DIR ?? '';
const full = process.env.SUITES_FULL_DIR ?? '';

process.env.HARMA_REFERENCE_DATA = empty;
delete process.env.HARMA_REQUIRE_REFERENCE;
describeWithReferenceData('missing data', () => {
  it('would fail', () => {
    throw new Error('a suite without its reference data ran');
  });
});

process.env.HARMA_REQUIRE_REFERENCE = '1';
describeWithReferenceData('required data', () => {
  it('would fail', () => {
    throw new Error('a suite without its reference data ran');
  });
});

process.env.HARMA_REFERENCE_DATA = full;
describeWithReferenceData('present data', (dir) => {
  it(`gets ${full}`, () => {
    expect(dir).toBe(full);
  });
});
