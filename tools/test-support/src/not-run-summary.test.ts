import { describe, expect, it } from 'vitest';
import { formatNotRunSummary, notRunSuites } from './not-run-summary';

describe('the NOT RUN summary at the end of npm test', () => {
  const log = [
    '@harma/backbones:test: ✓ src/clip/config.test.ts (12 tests) 40ms',
    '@harma/backbones:test: NOT RUN: "ClipTokenizer with the CLIP vocabulary" — reference data not found at /x/shared; set HARMA_REFERENCE_DATA',
    '@harma/backbones:test: NOT RUN: "ClipTokenizer with the CLIP vocabulary" — reference data not found at /x/shared; set HARMA_REFERENCE_DATA',
    '@harma/backbones:test: NOT RUN: "the CLIP vocabulary saved as Hugging Face files" — reference data not found at /x/shared; set HARMA_REFERENCE_DATA',
  ].join('\n');

  it('collects each skipped suite once, with its reason', () => {
    expect(notRunSuites('@harma/backbones', log)).toEqual([
      { package: '@harma/backbones', title: 'ClipTokenizer with the CLIP vocabulary', reason: 'reference data not found at /x/shared; set HARMA_REFERENCE_DATA' },
      { package: '@harma/backbones', title: 'the CLIP vocabulary saved as Hugging Face files', reason: 'reference data not found at /x/shared; set HARMA_REFERENCE_DATA' },
    ]);
    expect(notRunSuites('@harma/core', '@harma/core:test: ✓ all good')).toEqual([]);
  });

  it('says in one line how many did not run and why, grouped by reason', () => {
    const browser = { package: '@harma/server', title: 'the web page', reason: 'Chromium not found at /usr/bin/chromium; apt-get install -y chromium or set HARMA_CHROMIUM' };
    const summary = formatNotRunSummary([...notRunSuites('@harma/backbones', log), browser]);
    expect(summary).toBe(
      'NOT RUN: 3 test suites in 2 packages did not run — 2 × reference data not found at /x/shared; set HARMA_REFERENCE_DATA (@harma/backbones); ' +
        '1 × Chromium not found at /usr/bin/chromium; apt-get install -y chromium or set HARMA_CHROMIUM (@harma/server). CI (.ci/run) requires them all.',
    );
    expect(summary.split('\n')).toHaveLength(1);
    expect(formatNotRunSummary([])).toBe('Every test suite ran: none reported NOT RUN.');
  });
});
