import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackbone, loadTokenizer, useBackend } from '@harma/core';
import { CONV_DUAL_ENCODER_PRESETS } from './config';
import { registerConvDualEncoderOnce } from './register';
import { WORD_IDS, WordTokenizer, buildWordVocabulary, splitWords, writeWordVocabulary } from './word-tokenizer';

let dir: string;
beforeAll(async () => {
  await useBackend('cpu');
  registerConvDualEncoderOnce();
  dir = await mkdtemp(path.join(os.tmpdir(), 'word-tokenizer-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('WordTokenizer', () => {
  const words = buildWordVocabulary(['A river, a bridge.', 'the river and the forest', 'a forest'], { minCount: 1 });

  it('lists words by frequency, ties alphabetical', () => {
    expect(splitWords('Two  Bridges, 3 rivers!')).toEqual(['two', 'bridges', '3', 'rivers']);
    expect(words).toEqual(['a', 'forest', 'river', 'the', 'and', 'bridge']);
    expect(buildWordVocabulary(['a a b', 'b c'], { minCount: 2 })).toEqual(['a', 'b']);
  });

  it('gives start, word ids, end, zero padding; unknown words share one id; keeps the end id when truncating', () => {
    const tokenizer = new WordTokenizer(words, { contextLength: 6 });
    expect(tokenizer.vocabularySize).toBe(WORD_IDS.firstWord + words.length);
    expect([...tokenizer.encode(['A forest by the RIVER', 'lake'])]).toEqual([1, 4, 5, 3, 7, 2, 1, 3, 2, 0, 0, 0]);
    const long = tokenizer.encodeOne('a a a a a a a a');
    expect(long).toEqual([1, 4, 4, 4, 4, 2]);
  });

  it('saves its vocabulary and loads back through the tokenizer registry', async () => {
    const tokenizer = new WordTokenizer(words, { contextLength: 6 });
    const description = await tokenizer.save(path.join(dir, 'model'));
    expect(description).toEqual({ kind: 'words', contextLength: 6, vocabularySize: 10, padId: 0, files: ['words.json'] });
    const loaded = await loadTokenizer(path.join(dir, 'model'), description);
    expect([...loaded.encode(['the bridge and a lake'])]).toEqual([...tokenizer.encode(['the bridge and a lake'])]);
  });

  it('names the file and the field of a bad vocabulary file', async () => {
    const file = path.join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ words: ['river', ''] }));
    await expect(WordTokenizer.load(file, { contextLength: 4 })).rejects.toThrow(/bad\.json: words\.1: String must contain at least 1 character/);
    await writeFile(file, '{"words": [');
    await expect(WordTokenizer.load(file, { contextLength: 4 })).rejects.toThrow(/word vocabulary .*bad\.json: .*JSON/);
    expect(() => new WordTokenizer(['river', 'river'], { contextLength: 4 })).toThrow(/'river' is listed twice/);
  });

  it('is the tokenizer the factory builds from `vocabulary`, checked against the text tower', async () => {
    const file = path.join(dir, 'words.json');
    await writeWordVocabulary(file, words);
    const model = await createBackbone('conv-dual-encoder', { config: 'tiny', seed: 1, vocabulary: file });
    expect(model.tokenizer?.kind).toBe('words');
    expect(model.tokenizer?.contextLength).toBe(CONV_DUAL_ENCODER_PRESETS.tiny.text.contextLength);
    model.dispose();
    const small = { ...CONV_DUAL_ENCODER_PRESETS.tiny, text: { ...CONV_DUAL_ENCODER_PRESETS.tiny.text, vocabSize: 5 } };
    await expect(createBackbone('conv-dual-encoder', { config: small, vocabulary: file })).rejects.toThrow(/does not fit the text tower \(32 positions, 5 token rows\)/);
  });
});
