import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensorsHeader } from '@harma/core';
import { fixturePath } from '@harma/test-support';
import { checkAugmentFixture } from './augment-check';

const fixture = fixturePath('golden', 'augment');

/** Every RandAugment case (one args line and one pixels line each) and every resized crop (+ .hflip). */
const OP_CASES = ['Identity', 'AutoContrast', 'Equalize', 'Brightness', 'Sharpness', 'ShearX.pos', 'ShearX.neg', 'ShearY.pos', 'ShearY.neg', 'TranslateX.pos', 'TranslateX.neg', 'TranslateY.pos', 'TranslateY.neg', 'Rotate.neg', 'Rotate.pos'];
const CROP_CASES = [0, 1, 2, 3].flatMap((i) => [`resized_crop.${i}`, `resized_crop.${i}.hflip`]);

describe('golden augment check', () => {
  let scratch: string;
  beforeAll(() => {
    scratch = mkdtempSync(path.join(tmpdir(), 'harma-golden-augment-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  /** A copy of the fixture to break on purpose. */
  function copy(name: string): string {
    const dir = path.join(scratch, name);
    mkdirSync(dir);
    for (const file of ['cases.json', 'augment.safetensors']) copyFileSync(path.join(fixture, file), path.join(dir, file));
    return dir;
  }

  it('reproduces every case of fixtures/golden/augment exactly: every operation, its arguments, every crop and flip', async () => {
    const lines = await checkAugmentFixture(fixture);
    expect(lines.filter((line) => line.status !== 'ok').map((line) => `${line.name}: ${line.note}`)).toEqual([]);
    expect(lines.map((line) => line.name).sort()).toEqual([...OP_CASES.flatMap((key) => [key, `${key} args`]), ...CROP_CASES].sort());
    for (const line of lines.filter((l) => !l.name.endsWith(' args'))) expect(line.note, line.name).toMatch(/^exact \(\d+ pixels\)$/);
  });

  it('reports a changed pixel with the largest difference and how many pixels differ', async () => {
    const dir = copy('pixel');
    const file = path.join(dir, 'augment.safetensors');
    const header = await readSafetensorsHeader(file);
    const rotate = header.entries.find((entry) => entry.name === 'Rotate.pos');
    if (!rotate) throw new Error('the fixture has no Rotate.pos');
    const bytes = readFileSync(file);
    // Two values of one pixel (the 101st of the first image) moved by 3 and by 1, away from the ends of 0..255.
    const at = header.dataStart + rotate.dataOffsets[0] + 100 * 3;
    bytes[at] = (bytes[at] as number) < 128 ? (bytes[at] as number) + 3 : (bytes[at] as number) - 3;
    bytes[at + 1] = (bytes[at + 1] as number) < 128 ? (bytes[at + 1] as number) + 1 : (bytes[at + 1] as number) - 1;
    writeFileSync(file, bytes);
    const off = (await checkAugmentFixture(dir)).filter((line) => line.status !== 'ok');
    expect(off).toEqual([{ name: 'Rotate.pos', status: 'off', note: 'largest difference 3/255; 1 of 9600 pixels differ (2 values)' }]);
  });

  it('reports arguments that level_to_args does not give, a missing output, an unknown operation and an unexplained tensor', async () => {
    const dir = copy('cases');
    const json = JSON.parse(readFileSync(path.join(dir, 'cases.json'), 'utf8')) as { cases: Array<Record<string, unknown>> };
    const byKey = (key: string): Record<string, unknown> => json.cases.find((entry) => entry.key === key) as Record<string, unknown>;
    byKey('ShearX.pos').args = [0.3, [128, 128, 128]];
    byKey('Rotate.pos').args = [21, [0, 0, 0]];
    byKey('Equalize').key = 'Equalize.renamed';
    byKey('Identity').op = 'Solarize';
    writeFileSync(path.join(dir, 'cases.json'), JSON.stringify(json));
    const off = (await checkAugmentFixture(dir)).filter((line) => line.status !== 'ok').map((line) => [line.name, line.status]);
    expect(off).toEqual([
      ['Identity', 'not-computed'],
      ['Equalize.renamed', 'off'],
      ['ShearX.pos args', 'off'],
      ['ShearX.pos', 'off'],
      ['Rotate.pos args', 'off'],
      ['Rotate.pos', 'off'],
      ['Equalize', 'not-computed'],
    ]);
  });

  it('names the field of a malformed cases.json', async () => {
    const dir = copy('malformed');
    writeFileSync(path.join(dir, 'cases.json'), JSON.stringify({ images: 'x', level: 7, max_level: 10, replace_value: [128, 128], cases: [] }));
    await expect(checkAugmentFixture(dir)).rejects.toThrow(/cases\.json: replace_value: /);
  });
});
