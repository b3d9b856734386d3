import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithReferenceData } from '@harma/test-support';
import { ClipTokenizer } from './clip-tokenizer';
import { buildBpeVocabulary, type BpeVocabulary } from './vocabulary';
import { readBpeVocabulary } from './vocabulary-files';

function readJsonl(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('ClipTokenizer on a hand-made vocabulary', () => {
  // Byte chars: '!' is id 0, 'a' is 64, 'b' 65, 'c' 66; with </w>: +256. Merges then get 512, 513, …
  const vocabulary = buildBpeVocabulary([
    ['a', 'b'],
    ['ab', 'c</w>'],
  ]);
  const tokenizer = new ClipTokenizer(vocabulary, { contextLength: 6 });

  it('numbers special tokens after the merges, as open_clip does', () => {
    expect(vocabulary.encoder.get('ab')).toBe(512);
    expect(vocabulary.encoder.get('abc</w>')).toBe(513);
    expect(tokenizer.startOfTextId).toBe(514);
    expect(tokenizer.endOfTextId).toBe(515);
    expect(tokenizer.vocabularySize).toBe(516);
  });

  it('applies merges by rank and marks word ends', () => {
    // "abc" → ab + c</w> → abc</w>; "ab" → a + b</w> (no merge a b</w>); "ca" → c + a</w>.
    expect(tokenizer.encodeText('abc ab ca')).toEqual([513, 64, 65 + 256, 66, 64 + 256]);
  });

  it('pads with zeros and truncates keeping the end token', () => {
    const ids = tokenizer.encode(['abc', 'abc abc abc abc abc abc']);
    expect(Array.from(ids)).toEqual([514, 513, 515, 0, 0, 0, 514, 513, 513, 513, 513, 515]);
    expect(tokenizer.encodeOne('abc abc abc abc abc abc')).toHaveLength(6);
  });

  it('truncates exactly as tokenizing everything and cutting afterwards would', () => {
    const text = Array.from({ length: 30 }, (_, i) => ['abc', 'ab', 'ca'][i % 3]).join(' ');
    const all = tokenizer.encodeText(text);
    expect(all.length).toBeGreaterThan(40);
    // open_clip: [sot] + ids + [eot], cut to 6, last replaced by eot.
    expect(tokenizer.encodeOne(text)).toEqual([514, ...all.slice(0, 4), 515]);
  });

  it('decodes ids back to text', () => {
    expect(tokenizer.decode([513, 64, 65 + 256])).toBe('abc ab ');
  });

  it('refuses a context too short for the start and end tokens', () => {
    expect(() => new ClipTokenizer(vocabulary, { contextLength: 1 })).toThrow(/contextLength/);
  });

  it('names the missing symbol when a vocabulary lacks one', () => {
    const partial: BpeVocabulary = { ...vocabulary, encoder: new Map([...vocabulary.encoder].filter(([token]) => token !== 'z</w>')), source: 'partial.json' };
    expect(() => new ClipTokenizer(partial).encodeOne('z')).toThrow(/"z<\/w>".*partial\.json/);
  });
});

describeWithReferenceData('ClipTokenizer with the CLIP vocabulary', (dir) => {
  const vocabFile = path.join(dir, 'vocab', 'bpe_simple_vocab_16e6.txt.gz');
  let tokenizer: ClipTokenizer;

  beforeAll(async () => {
    tokenizer = new ClipTokenizer(await readBpeVocabulary(vocabFile));
  });

  it('has open_clip vocabulary size and special ids', () => {
    expect(tokenizer.vocabularySize).toBe(49408);
    expect(tokenizer.startOfTextId).toBe(49406);
    expect(tokenizer.endOfTextId).toBe(49407);
    expect(tokenizer.contextLength).toBe(77);
  });

  it('reproduces every RSITMD test caption of the golden fixture exactly (2,260)', () => {
    const rows = readJsonl(path.join(dir, 'golden', 'tokenizer', 'rsitmd_test.jsonl'));
    expect(rows).toHaveLength(2260);
    const mismatches = rows.filter((row) => JSON.stringify(tokenizer.encodeOne(row.pre as string)) !== JSON.stringify(row.ids));
    expect(mismatches.map((row) => row.pre)).toEqual([]);
  });

  it('reproduces every tokenizer edge case of the golden fixture', () => {
    const rows = readJsonl(path.join(dir, 'golden', 'tokenizer', 'edge_cases.jsonl'));
    expect(rows.length).toBeGreaterThanOrEqual(20);
    for (const row of rows) {
      expect({ note: row.note, ids: tokenizer.encodeOne(row.text as string) }).toEqual({ note: row.note, ids: row.ids });
    }
  });

  it('lays a batch out as [batch, 77] with zero padding after the end token', () => {
    const rows = readJsonl(path.join(dir, 'golden', 'tokenizer', 'rsitmd_test.jsonl')).slice(0, 3);
    const batch = tokenizer.encode(rows.map((row) => row.pre as string));
    expect(batch).toBeInstanceOf(Int32Array);
    expect(batch.length).toBe(3 * 77);
    rows.forEach((row, i) => {
      const expected = row.ids as number[];
      const line = Array.from(batch.subarray(i * 77, (i + 1) * 77));
      expect(line).toEqual([...expected, ...new Array<number>(77 - expected.length).fill(0)]);
    });
  });

  it('decodes what it encodes (lower-cased, one space per word end)', () => {
    const ids = tokenizer.encodeOne('Many planes are parked near the terminal.');
    expect(tokenizer.decode(ids.slice(1, -1))).toBe('many planes are parked near the terminal . ');
  });

  describe('Hugging Face vocabulary formats give identical ids', () => {
    let folder: string;
    let mergeLines: string[];
    let vocabJson: Record<string, number>;

    beforeAll(() => {
      folder = mkdtempSync(path.join(tmpdir(), 'harma-hf-vocab-'));
      // Built here from the merges exactly as Hugging Face's CLIP files are: byte characters, the
      // same with </w>, one token per merge, then the two special tokens under HF's spelling.
      const lines = gunzipSync(readFileSync(vocabFile)).toString('utf8').split('\n');
      mergeLines = lines.slice(1, 49152 - 256 - 2 + 1);
      const bytes: number[] = [];
      for (let b = 33; b <= 126; b++) bytes.push(b);
      for (let b = 161; b <= 172; b++) bytes.push(b);
      for (let b = 174; b <= 255; b++) bytes.push(b);
      const chars = bytes.map((b) => String.fromCharCode(b));
      let extra = 0;
      for (let b = 0; b < 256; b++) if (!bytes.includes(b)) chars.push(String.fromCharCode(256 + extra++));
      const tokens = [...chars, ...chars.map((c) => `${c}</w>`), ...mergeLines.map((line) => line.split(' ').join('')), '<|startoftext|>', '<|endoftext|>'];
      vocabJson = Object.fromEntries(tokens.map((token, id) => [token, id]));
      writeFileSync(path.join(folder, 'vocab.json'), JSON.stringify(vocabJson));
      writeFileSync(path.join(folder, 'merges.txt'), `#version: 0.2\n${mergeLines.join('\n')}\n`);
      const model = (merges: unknown[]): string => JSON.stringify({ model: { type: 'BPE', vocab: vocabJson, merges, end_of_word_suffix: '</w>' } });
      writeFileSync(path.join(folder, 'tokenizer.json'), model(mergeLines));
      writeFileSync(path.join(folder, 'tokenizer-pairs.json'), model(mergeLines.map((line) => line.split(' '))));
    });

    afterAll(() => rmSync(folder, { recursive: true, force: true }));

    const texts = (): string[] => [
      ...readJsonl(path.join(dir, 'golden', 'tokenizer', 'rsitmd_test.jsonl')).map((row) => row.raw as string),
      ...readJsonl(path.join(dir, 'golden', 'tokenizer', 'edge_cases.jsonl')).map((row) => row.text as string),
    ];

    it.each([
      ['vocab.json + merges.txt', 'vocab.json'],
      ['tokenizer.json with "a b" merges', 'tokenizer.json'],
      ['tokenizer.json with [a, b] merges', 'tokenizer-pairs.json'],
    ])('%s', async (_label, file) => {
      const other = new ClipTokenizer(await readBpeVocabulary(path.join(folder, file)));
      expect(other.startOfTextId).toBe(49406);
      expect(other.endOfTextId).toBe(49407);
      // The end token is the largest id, where CLIP (and transformers' legacy eos_token_id 2 rule) pools.
      expect(other.vocabularySize).toBe(49408);
      const all = texts();
      expect(Array.from(other.encode(all))).toEqual(Array.from(tokenizer.encode(all)));
    });
  });
});
