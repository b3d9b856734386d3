import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizer, registerTokenizer, tokenizerRegistry, type TextTokenizer, type TokenizerDescription } from './text-tokenizer';

/** A tokenizer whose ids are the characters' codes modulo its size: enough to test the contract's bookkeeping. */
class CharacterTokenizer implements TextTokenizer {
  readonly kind = 'test-characters';
  constructor(readonly contextLength: number, readonly vocabularySize: number) {}

  encode(texts: readonly string[]): Int32Array {
    const out = new Int32Array(texts.length * this.contextLength);
    texts.forEach((text, row) => [...text].slice(0, this.contextLength).forEach((char, i) => (out[row * this.contextLength + i] = 1 + ((char.codePointAt(0) as number) % (this.vocabularySize - 1)))));
    return out;
  }

  async save(dir: string): Promise<TokenizerDescription> {
    await writeFile(path.join(dir, 'characters.json'), JSON.stringify({ contextLength: this.contextLength, vocabularySize: this.vocabularySize }));
    return { kind: this.kind, contextLength: this.contextLength, vocabularySize: this.vocabularySize, padId: 0, files: ['characters.json'] };
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'harma-tokenizer-contract-'));
  registerTokenizer('test-characters', async (folder, description) => {
    // What the files say, not what the description says: loadTokenizer compares the two.
    const saved = JSON.parse(await readFile(path.join(folder, description.files[0] as string), 'utf8')) as { contextLength: number; vocabularySize: number };
    return new CharacterTokenizer(saved.contextLength, saved.vocabularySize);
  });
});
afterAll(async () => {
  tokenizerRegistry.unregister('test-characters');
  await rm(dir, { recursive: true, force: true });
});

describe('loadTokenizer', () => {
  it('rebuilds a saved tokenizer by its kind, giving the same ids', async () => {
    const tokenizer = new CharacterTokenizer(6, 50);
    const description = await tokenizer.save(dir);
    const loaded = await loadTokenizer(dir, description);
    expect(loaded.kind).toBe('test-characters');
    expect([...loaded.encode(['river', 'a bridge'])]).toEqual([...tokenizer.encode(['river', 'a bridge'])]);
  });

  it('refuses an unregistered kind, naming the folder, the kind and what is registered', async () => {
    const description = await new CharacterTokenizer(6, 50).save(dir);
    await expect(loadTokenizer(dir, { ...description, kind: 'sentencepiece' })).rejects.toThrow(
      /: its tokenizer kind 'sentencepiece' is not registered \(registered: .*test-characters.*\); import the package that provides it/,
    );
  });

  it('refuses a tokenizer that is not the one described: other context length, or ids beyond the described size', async () => {
    const description = await new CharacterTokenizer(6, 50).save(dir);
    await expect(loadTokenizer(dir, { ...description, contextLength: 7 })).rejects.toThrow(/is not the one its config describes \(contextLength 6, described as 7\)/);
    await expect(loadTokenizer(dir, { ...description, vocabularySize: 40 })).rejects.toThrow(/\(50 ids, described as at most 40\)/);
    // Fewer ids than the described table is fine: the text tower may embed more rows than a vocabulary uses.
    await expect(loadTokenizer(dir, { ...description, vocabularySize: 60 })).resolves.toBeInstanceOf(CharacterTokenizer);
  });
});
