import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic, type TextTokenizer, type TokenizerDescription } from '@harma/core';
import { z } from 'zod';

/** The registry name of this tokenizer kind (`TextTokenizer.kind`). */
export const WORD_TOKENIZER_KIND = 'words';

/** The file a word vocabulary is saved in, in a model folder. */
export const WORD_VOCABULARY_FILE = 'words.json';

/** Ids below the words: 0 pads (the text tower masks it), then start, end and unknown-word. */
export const WORD_IDS = { padding: 0, start: 1, end: 2, unknown: 3, firstWord: 4 } as const;

const vocabularyFileSchema = z.object({ words: z.array(z.string().min(1)).min(1) }).strict();

/** Lower-cased runs of letters and digits: punctuation and spacing never reach the model. */
export function splitWords(text: string): string[] {
  return text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((word) => word.length > 0);
}

export interface BuildWordVocabularyOptions {
  /** Keep at most this many words (the most frequent). Default: all. */
  maxWords?: number;
  /** Drop words seen fewer times. Default: 1. */
  minCount?: number;
}

/** The words of a caption corpus, most frequent first (ties alphabetical, so the list is deterministic). */
export function buildWordVocabulary(captions: Iterable<string>, options: BuildWordVocabularyOptions = {}): string[] {
  const counts = new Map<string, number>();
  for (const caption of captions) for (const word of splitWords(caption)) counts.set(word, (counts.get(word) ?? 0) + 1);
  const words = [...counts]
    .filter(([, count]) => count >= (options.minCount ?? 1))
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([word]) => word);
  return options.maxWords === undefined ? words : words.slice(0, options.maxWords);
}

/** Write a word list as the tokenizer's vocabulary file (atomically). */
export async function writeWordVocabulary(file: string, words: readonly string[]): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, `${JSON.stringify({ words }, null, 1)}\n`);
}

/**
 * This plug-in's own tokenizer: one id per known word (lower-cased letters and digits), unknown
 * words share one id, `start … end` around them, truncated to the context length keeping the end
 * id, zero padded. Not CLIP's BPE: the plug-in shows that every HarMA.js consumer takes the
 * backbone's tokenizer through the contract.
 */
export class WordTokenizer implements TextTokenizer {
  readonly kind = WORD_TOKENIZER_KIND;
  readonly contextLength: number;
  readonly vocabularySize: number;
  readonly words: readonly string[];
  readonly #ids: ReadonlyMap<string, number>;

  constructor(words: readonly string[], options: { contextLength: number }) {
    if (!Number.isInteger(options.contextLength) || options.contextLength < 2) {
      throw new Error(`WordTokenizer: contextLength must be an integer ≥ 2 (start and end ids), got ${options.contextLength}`);
    }
    const ids = new Map<string, number>();
    words.forEach((word, i) => {
      if (ids.has(word)) throw new Error(`WordTokenizer: the word '${word}' is listed twice`);
      ids.set(word, WORD_IDS.firstWord + i);
    });
    this.words = [...words];
    this.#ids = ids;
    this.contextLength = options.contextLength;
    this.vocabularySize = WORD_IDS.firstWord + words.length;
  }

  /** Read a vocabulary file written by `writeWordVocabulary` or `save`; errors name the file. */
  static async load(file: string, options: { contextLength: number }): Promise<WordTokenizer> {
    let json: unknown;
    try {
      json = JSON.parse(await fs.readFile(file, 'utf8'));
    } catch (error) {
      throw new Error(`word vocabulary ${file}: ${(error as Error).message}`, { cause: error });
    }
    const parsed = vocabularyFileSchema.safeParse(json);
    if (!parsed.success) throw new Error(`word vocabulary ${file}: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`);
    return new WordTokenizer(parsed.data.words, options);
  }

  /** One caption → `start`, its word ids, `end` (truncated to the context length); no padding. */
  encodeOne(text: string): number[] {
    const ids = splitWords(text)
      .slice(0, this.contextLength - 2)
      .map((word) => this.#ids.get(word) ?? WORD_IDS.unknown);
    return [WORD_IDS.start, ...ids, WORD_IDS.end];
  }

  encode(texts: readonly string[]): Int32Array {
    const out = new Int32Array(texts.length * this.contextLength);
    texts.forEach((text, row) => out.set(this.encodeOne(text), row * this.contextLength));
    return out;
  }

  async save(dir: string): Promise<TokenizerDescription> {
    await writeWordVocabulary(path.join(dir, WORD_VOCABULARY_FILE), this.words);
    return { kind: this.kind, contextLength: this.contextLength, vocabularySize: this.vocabularySize, padId: 0, files: [WORD_VOCABULARY_FILE] };
  }
}
