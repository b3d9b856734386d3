import { describe, it } from 'vitest';
import { referenceData } from './reference-data';

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
