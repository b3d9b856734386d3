import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

interface AssertionResult {
  ancestorTitles: string[];
  title: string;
  status: string;
  failureMessages: string[];
}

/**
 * Runs test/reference-data-suites.ts in a child vitest (a suite's registration can only be seen
 * from outside the run) with an empty and a complete reference folder.
 */
function runSuites(): { results: AssertionResult[]; stderr: string; empty: string; full: string } {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'test-support-suites-'));
  const empty = path.join(scratch, 'empty');
  const full = path.join(scratch, 'full');
  mkdirSync(empty);
  for (const part of ['vocab', 'datasets/annotations', 'golden/tokenizer']) mkdirSync(path.join(full, part), { recursive: true });
  const vitest = path.join(path.dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
  const report = path.join(scratch, 'report.json');
  const child = spawnSync(process.execPath, [vitest, 'run', '--config', 'test/vitest.suites.config.ts', '--reporter=json', `--outputFile=${report}`], {
    cwd: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'),
    env: { ...process.env, SUITES_EMPTY_DIR: empty, SUITES_FULL_DIR: full },
    encoding: 'utf8',
  });
  const json = JSON.parse(readFileSync(report, 'utf8')) as { testResults: Array<{ assertionResults: AssertionResult[] }> };
  return { results: json.testResults.flatMap((file) => file.assertionResults), stderr: child.stderr, empty, full };
}

describe('describeWithReferenceData', () => {
  const { results, stderr, empty, full } = runSuites();
  const suite = (title: string): AssertionResult[] => results.filter((result) => result.ancestorTitles[0] === title);

  it('without the data: the suite does not run, and says so in its title and on stderr', () => {
    const skipped = suite(`missing data [NOT RUN: reference data not found at ${empty}; set HARMA_REFERENCE_DATA]`);
    expect(skipped.map((result) => [result.title, result.status])).toEqual([['would fail', 'skipped']]);
    expect(stderr).toContain(`NOT RUN: "missing data" — reference data not found at ${empty}; set HARMA_REFERENCE_DATA`);
  });

  it('without the data and with HARMA_REQUIRE_REFERENCE=1: the suite fails, naming the folder', () => {
    const failed = suite('required data');
    expect(failed.map((result) => [result.title, result.status])).toEqual([['has its reference data', 'failed']]);
    expect(failed[0]?.failureMessages[0]).toContain(`reference data not found at ${empty} (set HARMA_REFERENCE_DATA to the folder holding vocab/, datasets/, golden/)`);
  });

  it('with the data: the suite runs and gets the folder', () => {
    expect(suite('present data').map((result) => [result.title, result.status])).toEqual([[`gets ${full}`, 'passed']]);
  });
});
