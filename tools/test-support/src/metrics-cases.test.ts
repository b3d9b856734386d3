import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMetricsCases } from './metrics-cases';
import { fixturePath } from './repository';

/** The figures of @harma/metrics' RetrievalMetrics (this package does not import the package it tests). */
const FIELDS = ['txt_r1', 'txt_r5', 'txt_r10', 'img_r1', 'img_r5', 'img_r10', 'r_mean'] as const;
const casesFile = fixturePath('golden', 'metrics', 'cases.json');

function writeCases(edit: (json: { cases: Array<Record<string, unknown>> }) => void): string {
  const json = JSON.parse(readFileSync(casesFile, 'utf8')) as { cases: Array<Record<string, unknown>> };
  edit(json);
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'test-support-metrics-')), 'cases.json');
  writeFileSync(file, JSON.stringify(json));
  return file;
}

describe('readMetricsCases', () => {
  it('reads the golden cases: float32 scores, truth, figures and tie rules', () => {
    const cases = readMetricsCases(casesFile, FIELDS);
    expect(cases.map((c) => c.name)).toEqual(['random-7x35', 'ties-invariant-20x100', 'round-half-even-32x160', 'tie-order-dependent-12x60']);
    const first = cases[0]!;
    expect([first.images, first.captions, first.scores.length]).toEqual([7, 35, 7 * 35]);
    expect(first.scores).toBeInstanceOf(Float32Array);
    expect(Object.keys(first.expected)).toEqual([...FIELDS]);
    expect(cases[3]!.tieOrderDependent).toBe(true);
    expect(Object.keys(cases[3]!.tieRules)).toContain('ties_lower_index_first');
  });

  it('names the file, case and field of a figure the fields do not list, or a score row of the wrong length', () => {
    const unknown = writeCases((json) => {
      (json.cases[1]!.expected as Record<string, number>).txt_r20 = 1;
    });
    expect(() => readMetricsCases(unknown, FIELDS)).toThrow(`${unknown}: cases.1.expected: Unrecognized key(s) in object: 'txt_r20'`);
    const short = writeCases((json) => {
      (json.cases[0]!.scores_i2t as number[][])[2]!.pop();
    });
    expect(() => readMetricsCases(short, FIELDS)).toThrow(`${short}: cases.0 (random-7x35): scores_i2t.2 has 34 values for n_captions 35`);
  });
});
