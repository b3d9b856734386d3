import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchResult, mergeResults } from '../src/index';

const scratchFile = (): string => path.join(mkdtempSync(path.join(os.tmpdir(), 'bench-results-')), 'bench', 'results.json');

describe('bench results', () => {
  it('rounds the value and computes the ratio to the anchor', () => {
    expect(benchResult('a', 16.123456, 'img/s', 11)).toEqual({ name: 'a', value: 16.12, unit: 'img/s', anchor: 11, ratio: 1.466 });
    expect(benchResult('b', 3, 's')).toEqual({ name: 'b', value: 3, unit: 's', anchor: null, ratio: null });
  });

  it('records where an anchor given with its source comes from', () => {
    expect(benchResult('c', 6, 's', { value: 12.0004, source: 'PyTorch 1.13 in this run' })).toEqual({
      name: 'c',
      value: 6,
      unit: 's',
      anchor: 12,
      ratio: 0.5,
      anchorSource: 'PyTorch 1.13 in this run',
    });
  });

  it('replaces measurements of the same name and keeps the others', async () => {
    const file = scratchFile();
    await mergeResults(file, [benchResult('x', 1, 's'), benchResult('y', 2, 's')]);
    await mergeResults(file, [benchResult('y', 5, 's'), benchResult('z', 3, 's')]);
    const names = (JSON.parse(readFileSync(file, 'utf8')) as Array<{ name: string; value: number }>).map((r) => `${r.name}=${r.value}`);
    expect(names).toEqual(['x=1', 'y=5', 'z=3']);
  });

  it('refuses to overwrite a file that is not a record, naming it', async () => {
    const file = scratchFile();
    await mergeResults(file, []);
    writeFileSync(file, '{"not": "an array"}');
    await expect(mergeResults(file, [benchResult('x', 1, 's')])).rejects.toThrow(`${file}: expected a JSON array`);
    writeFileSync(file, '[{"name": "x"');
    await expect(mergeResults(file, [benchResult('x', 1, 's')])).rejects.toThrow(/not valid JSON/);
    expect(readFileSync(file, 'utf8')).toBe('[{"name": "x"');
  });
});
