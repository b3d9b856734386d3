import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fixturePath } from '@harma/test-support';
import { describe, expect, it } from 'vitest';
import { checkMetricsCases } from './metrics-check';

const casesFile = fixturePath('golden', 'metrics', 'cases.json');

describe('golden metrics check', () => {
  it('passes every case of fixtures/golden/metrics/cases.json exactly', async () => {
    const lines = await checkMetricsCases(casesFile);
    const off = lines.filter((line) => line.status !== 'ok');
    expect(off).toEqual([]);
    // 4 cases × numpy (7 figures + 2 rank lists + unrounded) + 3 tie-independent cases × 2 rules × 9
    // + the tie-order-dependent case × 2 rules × 7 figures.
    expect(lines.length).toBe(4 * 10 + 3 * 2 * 9 + 2 * 7);
    expect(lines.map((line) => line.name)).toContain('round-half-even-32x160/lower-index-first/txt_r10');
    expect(lines.map((line) => line.name)).toContain('tie-order-dependent-12x60/lower-index-first (tie_rules.ties_lower_index_first)/r_mean');
  });

  it('reports a wrong expectation as off tolerance', async () => {
    const json = JSON.parse(readFileSync(casesFile, 'utf8')) as { cases: Array<{ expected: Record<string, number>; ranks_t2i: number[] }> };
    const third = json.cases[2]!;
    third.expected.txt_r10 = 90.63;
    third.ranks_t2i[0] = (third.ranks_t2i[0] as number) + 1;
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'harma-metrics-')), 'cases.json');
    writeFileSync(file, JSON.stringify(json));
    const off = (await checkMetricsCases(file)).filter((line) => line.status === 'off').map((line) => line.name);
    expect(off).toEqual([
      'round-half-even-32x160/numpy/txt_r10',
      'round-half-even-32x160/numpy/ranks_t2i',
      'round-half-even-32x160/lower-index-first/txt_r10',
      'round-half-even-32x160/lower-index-first/ranks_t2i',
      'round-half-even-32x160/higher-index-first/txt_r10',
      'round-half-even-32x160/higher-index-first/ranks_t2i',
    ]);
  });

  it('names the file and field of a malformed cases.json', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'harma-metrics-')), 'cases.json');
    writeFileSync(file, JSON.stringify({ cases: [{ name: 'x', n_images: 1 }] }));
    await expect(checkMetricsCases(file)).rejects.toThrow(/cases\.json: cases\.0\.n_captions: Required/);
  });
});
