import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic, type TextTokenizer, type TokenizerDescription } from '@harma/core';
import { BytePairEncoder } from './bpe';
import { BYTE_DECODER, byteEncode } from './bytes-to-unicode';
import { preTokenize } from './pre-tokenize';
import { cleanText } from './text-clean';
import { decoderOf, END_OF_TEXT, START_OF_TEXT, type BpeVocabulary } from './vocabulary';
import { huggingFaceTokenizerFiles } from './hugging-face-tokenizer-files';
import { readBpeVocabulary, type VocabularySource } from './vocabulary-files';

/** The registry name of this tokenizer kind (`TextTokenizer.kind`). */
export const CLIP_TOKENIZER_KIND = 'clip-bpe';

/** Distinct pre-tokens whose ids are cached before the cache starts over. */
const MAX_CACHED_PIECES = 200_000;

export interface ClipTokenizerOptions {
  /** Ids per caption, start and end tokens included. Default: 77 (every CLIP model). */
  contextLength?: number;
}

/**
 * The CLIP BPE tokenizer, a bit-exact port of open_clip's `SimpleTokenizer`: ftfy text repair,
 * HTML unescaping, whitespace collapse and lower-casing, the CLIP pre-token pattern, byte-level BPE,
 * `<start_of_text>` … `<end_of_text>`, truncation to the context length that keeps the end token,
 * zero padding. Works with any vocabulary in `BpeVocabulary` form (open_clip .txt.gz, Hugging Face
 * files, or one trained with `trainBpeVocabulary`).
 */
export class ClipTokenizer implements TextTokenizer {
  readonly kind = CLIP_TOKENIZER_KIND;
  readonly contextLength: number;
  readonly vocabulary: BpeVocabulary;
  /** Number of ids the text tower's embedding table needs (largest id + 1). */
  readonly vocabularySize: number;
  private readonly bpe: BytePairEncoder;
  private readonly idCache = new Map<string, readonly number[]>();
  private decoder: Map<number, string> | undefined;

  constructor(vocabulary: BpeVocabulary, options: ClipTokenizerOptions = {}) {
    const contextLength = options.contextLength ?? 77;
    if (!Number.isInteger(contextLength) || contextLength < 2) {
      throw new Error(`ClipTokenizer: contextLength must be an integer ≥ 2 (start and end tokens), got ${contextLength}`);
    }
    this.contextLength = contextLength;
    this.vocabulary = vocabulary;
    let largest = -1;
    for (const id of vocabulary.encoder.values()) if (id > largest) largest = id;
    this.vocabularySize = largest + 1;
    this.bpe = new BytePairEncoder(vocabulary.merges);
  }

  /** A tokenizer for the vocabulary that came with a model (see `readBpeVocabulary` for the formats). */
  static async load(source: VocabularySource, options: ClipTokenizerOptions = {}): Promise<ClipTokenizer> {
    return new ClipTokenizer(await readBpeVocabulary(source), options);
  }

  get startOfTextId(): number {
    return this.vocabulary.startOfTextId;
  }

  get endOfTextId(): number {
    return this.vocabulary.endOfTextId;
  }

  /**
   * Write the Hugging Face tokenizer files into `dir` — `tokenizer.json`, `tokenizer_config.json`,
   * `special_tokens_map.json`, `vocab.json` + `merges.txt` (see `huggingFaceTokenizerFiles`) — so
   * that transformers(.js) and this package read the same tokenizer, and describe it for the
   * model's config.
   */
  async save(dir: string): Promise<TokenizerDescription> {
    const files = huggingFaceTokenizerFiles(this.vocabulary, this.contextLength);
    await fs.mkdir(dir, { recursive: true });
    for (const [name, text] of Object.entries(files)) await writeFileAtomic(path.join(dir, name), text);
    return { kind: this.kind, contextLength: this.contextLength, vocabularySize: this.vocabularySize, padId: 0, files: Object.keys(files) };
  }

  /** BPE ids of a caption without start/end tokens and without truncation (open_clip's `encode`). */
  encodeText(text: string): number[] {
    return this.ids(text, Infinity);
  }

  /** `<start_of_text>`, the caption's ids, `<end_of_text>`, truncated to the context length (the last id then becomes the end token); no padding. */
  encodeOne(text: string): number[] {
    // Only the first contextLength − 2 ids survive truncation; one more tells that truncation happened.
    const ids = this.ids(text, this.contextLength - 1);
    const tokens = [this.startOfTextId, ...ids, this.endOfTextId];
    if (tokens.length > this.contextLength) {
      tokens.length = this.contextLength;
      tokens[this.contextLength - 1] = this.endOfTextId;
    }
    return tokens;
  }

  /** Captions → ids, row-major [texts.length, contextLength], int32, zero padded. */
  encode(texts: readonly string[]): Int32Array {
    const out = new Int32Array(texts.length * this.contextLength);
    texts.forEach((text, row) => out.set(this.encodeOne(text), row * this.contextLength));
    return out;
  }

  /** Ids → text, as open_clip decodes: bytes back to UTF-8 (invalid sequences become U+FFFD), then `</w>` → space. */
  decode(ids: Iterable<number>): string {
    this.decoder ??= decoderOf(this.vocabulary);
    const bytes: number[] = [];
    for (const id of ids) {
      const token = this.decoder.get(id);
      if (token === undefined) throw new Error(`ClipTokenizer.decode: id ${id} is not in the vocabulary ${this.vocabulary.source}`);
      for (const char of token) {
        const byte = BYTE_DECODER.get(char);
        if (byte === undefined) throw new Error(`ClipTokenizer.decode: token ${JSON.stringify(token)} (id ${id}) is not byte-encoded`);
        bytes.push(byte);
      }
    }
    return new TextDecoder('utf-8', { ignoreBOM: true }).decode(Uint8Array.from(bytes)).replaceAll('</w>', ' ');
  }

  /** The caption's ids, BPE stopping once `limit` ids are known (the cleaning always sees the whole text). */
  private ids(text: string, limit: number): number[] {
    const ids: number[] = [];
    for (const piece of preTokenize(cleanText(text))) {
      for (const id of this.pieceIds(piece)) ids.push(id);
      if (ids.length >= limit) break;
    }
    return ids.length > limit ? ids.slice(0, limit) : ids;
  }

  private pieceIds(piece: string): readonly number[] {
    const cached = this.idCache.get(piece);
    if (cached) return cached;
    let ids: number[];
    // open_clip seeds its BPE cache with the special tokens, so their strings map straight to their ids.
    if (piece === START_OF_TEXT) ids = [this.startOfTextId];
    else if (piece === END_OF_TEXT) ids = [this.endOfTextId];
    else {
      ids = this.bpe.encode(byteEncode(piece)).map((symbol) => {
        const id = this.vocabulary.encoder.get(symbol);
        if (id === undefined) {
          throw new Error(`ClipTokenizer: BPE symbol ${JSON.stringify(symbol)} of ${JSON.stringify(piece)} is not in the vocabulary ${this.vocabulary.source}`);
        }
        return id;
      });
    }
    // Bounded, so a server fed arbitrary text does not grow without limit (open_clip's cache is not).
    if (this.idCache.size >= MAX_CACHED_PIECES) this.idCache.clear();
    this.idCache.set(piece, ids);
    return ids;
  }
}
