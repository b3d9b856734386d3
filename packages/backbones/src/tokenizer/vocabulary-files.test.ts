import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClipTokenizer } from './clip-tokenizer';
import { trainBpeVocabulary } from './train-bpe';
import {
  parseHuggingFaceVocabulary,
  parseOpenClipVocabulary,
  parseTokenizerJson,
  readBpeVocabulary,
  serializeOpenClipVocabulary,
  writeOpenClipVocabulary,
} from './vocabulary-files';

describe('vocabulary files', () => {
  let folder: string;
  const captions = ['many planes are parked near the terminal', 'a river crosses the green farmland', 'planes near a terminal building'];
  const trained = trainBpeVocabulary(captions, { merges: 40 });

  beforeAll(() => {
    folder = mkdtempSync(path.join(tmpdir(), 'harma-vocab-'));
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('writes and reads back an open_clip .txt.gz with the same ids', async () => {
    const file = path.join(folder, 'small.txt.gz');
    await writeOpenClipVocabulary(file, trained);
    const read = await readBpeVocabulary(file);
    expect(read.merges).toEqual(trained.merges);
    expect([...read.encoder]).toEqual([...trained.encoder]);
    expect(new ClipTokenizer(read).encode(captions)).toEqual(new ClipTokenizer(trained).encode(captions));
  });

  it('reads the uncompressed text format and finds a vocabulary in a folder', async () => {
    const text = ['#version: 0.2', 'p l', 'pl a', ''].join('\n');
    expect(parseOpenClipVocabulary(text).merges).toEqual([
      ['p', 'l'],
      ['pl', 'a'],
    ]);
    const sub = path.join(folder, 'model');
    mkdirSync(sub);
    writeFileSync(path.join(sub, 'bpe.txt.gz'), serializeOpenClipVocabulary(trained));
    expect((await readBpeVocabulary(sub)).merges).toEqual(trained.merges);
  });

  it('names the file and line of a malformed merge', () => {
    expect(() => parseOpenClipVocabulary(gzipSync('#version\np l\np l a\n'), 'v.txt.gz')).toThrow(/v\.txt\.gz: line 3: .*"p l a"/);
  });

  it('rejects corrupt gzip data and files without merges', () => {
    expect(() => parseOpenClipVocabulary(Uint8Array.of(0x1f, 0x8b, 1, 2, 3), 'broken.gz')).toThrow(/broken\.gz: corrupt gzip/);
    expect(() => parseOpenClipVocabulary('#version: 0.2\n', 'empty.txt')).toThrow(/empty\.txt: no merges/);
  });

  it('reports a missing file or an unrecognised folder', async () => {
    await expect(readBpeVocabulary(path.join(folder, 'nope.txt.gz'))).rejects.toThrow(/nope\.txt\.gz: no such file/);
    const empty = path.join(folder, 'empty');
    mkdirSync(empty);
    await expect(readBpeVocabulary(empty)).rejects.toThrow(/no tokenizer\.json, vocab\.json \+ merges\.txt or \*\.txt\.gz/);
  });

  it('validates vocab.json and tokenizer.json, naming the field', () => {
    expect(() => parseHuggingFaceVocabulary('{"a": "x"}', 'a b', 'vocab.json')).toThrow(/vocab\.json: .*a: Expected number/);
    expect(() => parseHuggingFaceVocabulary('{"a": 0, "<|endoftext|>": 1}', '', 'vocab.json')).toThrow(/no start token/);
    expect(() => parseHuggingFaceVocabulary('{not json', '', 'vocab.json')).toThrow(/vocab\.json: not valid JSON/);
    expect(() => parseTokenizerJson({ model: { vocab: {} } }, 'tokenizer.json')).toThrow(/tokenizer\.json: .*model\.merges: Required/);
    expect(() => parseTokenizerJson({ model: { vocab: { '<|startoftext|>': 0, '<|endoftext|>': 1 }, merges: ['a b c'] } }, 'tok.json')).toThrow(
      /tok\.json model\.merges\[0\]/,
    );
    expect(() => parseTokenizerJson({ model: { vocab: {}, merges: [], end_of_word_suffix: '##' } }, 'tok.json')).toThrow(/end_of_word_suffix/);
  });

  it('takes special ids from added_tokens when the vocabulary lacks them', () => {
    const vocabulary = parseTokenizerJson({
      model: { vocab: { a: 0 }, merges: [] },
      added_tokens: [
        { id: 7, content: '<|startoftext|>' },
        { id: 8, content: '<|endoftext|>' },
      ],
    });
    expect([vocabulary.startOfTextId, vocabulary.endOfTextId]).toEqual([7, 8]);
  });

  it('refuses to write a vocabulary whose ids are not in open_clip order', () => {
    const reordered = { ...trained, encoder: new Map([...trained.encoder].map(([token, id]) => [token, id === 0 ? 1 : id === 1 ? 0 : id])) };
    expect(() => serializeOpenClipVocabulary(reordered)).toThrow(/not in open_clip order/);
  });
});
