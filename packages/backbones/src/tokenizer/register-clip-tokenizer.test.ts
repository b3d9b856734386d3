import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry, loadTokenizer, type TokenizerLoader } from '@harma/core';
import { describeWithReferenceData } from '@harma/test-support';
import { ensureBuiltInBackbones } from '../ensure-built-ins';
import { CLIP_TOKENIZER_KIND, ClipTokenizer } from './clip-tokenizer';
import { registerClipTokenizer } from './register-clip-tokenizer';
import { trainBpeVocabulary } from './train-bpe';
import { readBpeVocabulary } from './vocabulary-files';

const captions = [
  'many buildings and green trees are around a playground',
  'a bridge crosses the river between two parts of the town',
  'several white storage tanks stand near the harbour',
  'the airport has two runways and a terminal building',
];

let dir: string;
beforeAll(async () => {
  ensureBuiltInBackbones();
  dir = await mkdtemp(path.join(os.tmpdir(), 'clip-tokenizer-save-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a saved ClipTokenizer', () => {
  it('writes the Hugging Face tokenizer files and loads back by kind with the same ids', async () => {
    const tokenizer = new ClipTokenizer(trainBpeVocabulary(captions, { merges: 60 }), { contextLength: 12 });
    const folder = path.join(dir, 'trained');
    const description = await tokenizer.save(folder);
    expect(description).toEqual({
      kind: CLIP_TOKENIZER_KIND,
      contextLength: 12,
      vocabularySize: tokenizer.vocabularySize,
      padId: 0,
      files: ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.json', 'merges.txt'],
    });
    // Padding to the context length with id 0, the way HarMA's text tower is fed.
    const config = JSON.parse(await readFile(path.join(folder, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ tokenizer_class: 'CLIPTokenizer', model_max_length: 12, pad_token: '!', bos_token: '<|startoftext|>', eos_token: '<|endoftext|>' });
    const fast = JSON.parse(await readFile(path.join(folder, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number>; merges: string[]; end_of_word_suffix: string } };
    expect(fast.model.vocab['!']).toBe(0);
    expect(fast.model.end_of_word_suffix).toBe('</w>');
    expect(fast.model.merges).toHaveLength(tokenizer.vocabulary.merges.length);
    const vocab = JSON.parse(await readFile(path.join(folder, 'vocab.json'), 'utf8')) as Record<string, number>;
    // Hugging Face spells the special tokens its own way; the ids stay.
    expect(vocab['<|startoftext|>']).toBe(tokenizer.startOfTextId);
    expect(vocab['<|endoftext|>']).toBe(tokenizer.endOfTextId);
    const loaded = await loadTokenizer(folder, description);
    expect(loaded).toBeInstanceOf(ClipTokenizer);
    const texts = [...captions, 'an unseen caption with WORDS, punctuation & ünïcödé', ''];
    expect([...loaded.encode(texts)]).toEqual([...tokenizer.encode(texts)]);
  });

  it('refuses a folder whose tokenizer is not the one described', async () => {
    const tokenizer = new ClipTokenizer(trainBpeVocabulary(captions, { merges: 30 }), { contextLength: 8 });
    const folder = path.join(dir, 'small');
    const description = await tokenizer.save(folder);
    await expect(loadTokenizer(folder, { ...description, vocabularySize: description.vocabularySize - 1 })).rejects.toThrow(
      /not the one its config describes \(\d+ ids, described as at most \d+\)/,
    );
    await expect(loadTokenizer(folder, { ...description, kind: 'words' })).rejects.toThrow(/tokenizer kind 'words' is not registered/);
    await expect(loadTokenizer(path.join(dir, 'absent'), description)).rejects.toThrow(/absent.*vocab\.json: no such file/);
  });

  it('registers once per registry, under its kind', () => {
    const registry = new Registry<TokenizerLoader>('tokenizer');
    registerClipTokenizer(registry);
    expect(registry.names()).toEqual([CLIP_TOKENIZER_KIND]);
    expect(() => registerClipTokenizer(registry)).toThrow(/tokenizer 'clip-bpe' is already registered/);
    // The process-wide registration is idempotent for apps that call it from several places.
    expect(() => ensureBuiltInBackbones()).not.toThrow();
  });
});

describeWithReferenceData('the CLIP vocabulary saved as Hugging Face files', (reference) => {
  it('tokenizes every RSITMD test caption of the golden fixture as open_clip does (2,260)', async () => {
    const original = new ClipTokenizer(await readBpeVocabulary(path.join(reference, 'vocab', 'bpe_simple_vocab_16e6.txt.gz')));
    const folder = path.join(dir, 'openai');
    const loaded = await loadTokenizer(folder, await original.save(folder));
    expect(loaded.vocabularySize).toBe(49408);
    const rows = readFileSync(path.join(reference, 'golden', 'tokenizer', 'rsitmd_test.jsonl'), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as { pre: string; ids: number[] });
    expect(rows).toHaveLength(2260);
    const ids = loaded.encode(rows.map((row) => row.pre));
    const mismatches = rows.filter((row, i) => {
      const expected = [...row.ids, ...new Array<number>(77 - row.ids.length).fill(0)];
      return JSON.stringify([...ids.subarray(i * 77, (i + 1) * 77)]) !== JSON.stringify(expected);
    });
    expect(mismatches.map((row) => row.pre)).toEqual([]);
  });
});
