import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithReferenceData } from '@harma/test-support';
import { checkTokenizerFixture, defaultVocabularyPath } from './tokenizer-check';

describeWithReferenceData('golden tokenizer check', (dir) => {
  const fixture = (name: string): string => path.join(dir, 'golden', 'tokenizer', name);
  const vocab = path.join(dir, 'vocab', 'bpe_simple_vocab_16e6.txt.gz');
  let scratch: string;

  beforeAll(() => {
    scratch = mkdtempSync(path.join(tmpdir(), 'harma-golden-tokenizer-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('finds the CLIP vocabulary in the reference data by default', () => {
    expect(path.resolve(defaultVocabularyPath())).toBe(path.resolve(vocab));
  });

  it('passes all 2,260 RSITMD test captions (tokenizing "pre")', async () => {
    const lines = await checkTokenizerFixture(fixture('rsitmd_test.jsonl'));
    expect(lines).toEqual([{ name: 'rsitmd_test.jsonl: token ids', status: 'ok', note: '2260/2260 lines identical (vocabulary bpe_simple_vocab_16e6.txt.gz)' }]);
  });

  it('passes every edge case (tokenizing "text")', async () => {
    const lines = await checkTokenizerFixture(fixture('edge_cases.jsonl'), { vocab });
    expect(lines.map((line) => line.status)).toEqual(['ok']);
  });

  it('reports a line whose ids differ, naming the file, line and position', async () => {
    const rows = readFileSync(fixture('edge_cases.jsonl'), 'utf8').split('\n').filter(Boolean);
    const second = JSON.parse(rows[1] as string) as { ids: number[] };
    second.ids[2] = (second.ids[2] as number) + 1;
    rows[1] = JSON.stringify(second);
    const file = path.join(scratch, 'edge_cases.jsonl');
    writeFileSync(file, rows.join('\n'));
    const lines = await checkTokenizerFixture(file, { vocab });
    expect(lines.map((line) => [line.name, line.status])).toEqual([
      ['edge_cases.jsonl:2', 'off'],
      ['edge_cases.jsonl: token ids', 'off'],
    ]);
    expect(lines[0]?.note).toMatch(/^ids differ from position 2/);
    expect(lines[1]?.note).toMatch(new RegExp(`^${rows.length - 1}/${rows.length} lines identical`));
  });

  it('names the line of a malformed fixture and a missing vocabulary', async () => {
    const file = path.join(scratch, 'bad.jsonl');
    writeFileSync(file, '{"text": "a", "ids": [49406, 320, 49407]}\n{"ids": [1]}\n');
    await expect(checkTokenizerFixture(file, { vocab })).rejects.toThrow(/bad\.jsonl:2: needs a string field "pre" or "text"/);
    await expect(checkTokenizerFixture(file, { vocab: path.join(scratch, 'none.txt.gz') })).rejects.toThrow(/vocabulary not found: .*none\.txt\.gz/);
  });
});
