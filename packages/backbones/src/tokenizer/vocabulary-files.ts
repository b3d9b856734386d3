import { existsSync, promises as fs, statSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import { writeFileAtomic } from '@harma/core';
import { buildBpeVocabulary, END_OF_TEXT, specialTokenId, START_OF_TEXT, type BpeMerge, type BpeVocabulary } from './vocabulary';

/** open_clip reads merge lines 1 … 48,894 of its file (`merges[1:49152-256-2+1]`): 49,408 ids in all. */
export const OPEN_CLIP_MAX_MERGES = 49152 - 256 - 2;

/** Thrown when a vocabulary file cannot be read; the message names the file and the entry. */
export class VocabularyError extends Error {
  readonly source: string;

  constructor(source: string, message: string) {
    super(`${source}: ${message}`);
    this.name = 'VocabularyError';
    this.source = source;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeText(data: Uint8Array, source: string): string {
  try {
    return utf8.decode(data);
  } catch {
    throw new VocabularyError(source, 'not valid UTF-8 text');
  }
}

function parseMergeLine(line: string, source: string, lineNumber: number): BpeMerge {
  const parts = line.trim().split(/\s+/);
  if (parts.length !== 2) throw new VocabularyError(source, `line ${lineNumber}: a merge is two symbols separated by a space, got ${JSON.stringify(line)}`);
  return [parts[0] as string, parts[1] as string];
}

/**
 * open_clip's `bpe_simple_vocab_16e6.txt.gz` (gzipped or plain): a header line, then one merge per
 * line. Like open_clip, only lines 1 … 48,894 are read; blank lines are skipped.
 */
export function parseOpenClipVocabulary(data: Uint8Array | string, source = 'open_clip vocabulary'): BpeVocabulary {
  let text: string;
  if (typeof data === 'string') text = data;
  else if (data[0] === 0x1f && data[1] === 0x8b) {
    let raw: Uint8Array;
    try {
      raw = gunzipSync(data);
    } catch (error) {
      throw new VocabularyError(source, `corrupt gzip data (${(error as Error).message})`);
    }
    text = decodeText(raw, source);
  } else text = decodeText(data, source);
  const lines = text.split('\n');
  const merges: BpeMerge[] = [];
  const end = Math.min(lines.length, OPEN_CLIP_MAX_MERGES + 1);
  for (let i = 1; i < end; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    merges.push(parseMergeLine(line, source, i + 1));
  }
  if (merges.length === 0) throw new VocabularyError(source, 'no merges found (expected a header line followed by "a b" merge lines)');
  return buildBpeVocabulary(merges, source);
}

/** Hugging Face `merges.txt`: an optional `#version` line, then one `a b` merge per line. */
export function parseMergesTxt(text: string, source = 'merges.txt'): BpeMerge[] {
  const merges: BpeMerge[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '' || (i === 0 && line.startsWith('#version'))) return;
    merges.push(parseMergeLine(line, source, i + 1));
  });
  return merges;
}

const VOCAB_SCHEMA = z.record(z.string(), z.number().int().nonnegative());

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`).join('; ');
}

function parseJson(text: string | unknown, source: string): unknown {
  if (typeof text !== 'string') return text;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new VocabularyError(source, `not valid JSON (${(error as Error).message})`);
  }
}

function withSpecialIds(encoder: Map<string, number>, merges: BpeMerge[], source: string, where: string): BpeVocabulary {
  const startOfTextId = specialTokenId(encoder, 'start');
  const endOfTextId = specialTokenId(encoder, 'end');
  if (startOfTextId === undefined) throw new VocabularyError(source, `${where} has no start token ("<|startoftext|>" or "<start_of_text>")`);
  if (endOfTextId === undefined) throw new VocabularyError(source, `${where} has no end token ("<|endoftext|>" or "<end_of_text>")`);
  return { encoder, merges, startOfTextId, endOfTextId, source };
}

/** Hugging Face `vocab.json` (token → id) with its `merges.txt`. */
export function parseHuggingFaceVocabulary(vocabJson: string | unknown, mergesTxt: string, source = 'vocab.json + merges.txt'): BpeVocabulary {
  const parsed = VOCAB_SCHEMA.safeParse(parseJson(vocabJson, source));
  if (!parsed.success) throw new VocabularyError(source, `vocab.json is not a token → id object: ${describeIssues(parsed.error)}`);
  const encoder = new Map(Object.entries(parsed.data));
  return withSpecialIds(encoder, parseMergesTxt(mergesTxt, source), source, 'vocab.json');
}

const TOKENIZER_JSON_SCHEMA = z.object({
  model: z.object({
    type: z.literal('BPE').optional(),
    vocab: VOCAB_SCHEMA,
    merges: z.array(z.union([z.string(), z.tuple([z.string(), z.string()])])),
    end_of_word_suffix: z.string().nullable().optional(),
  }),
  added_tokens: z.array(z.object({ id: z.number().int().nonnegative(), content: z.string() })).optional(),
});

/** Hugging Face fast-tokenizer `tokenizer.json`: `model.vocab` and `model.merges` (strings `"a b"` or pairs). */
export function parseTokenizerJson(json: string | unknown, source = 'tokenizer.json'): BpeVocabulary {
  const parsed = TOKENIZER_JSON_SCHEMA.safeParse(parseJson(json, source));
  if (!parsed.success) throw new VocabularyError(source, `not a BPE tokenizer.json: ${describeIssues(parsed.error)}`);
  const { model, added_tokens: added } = parsed.data;
  if (model.end_of_word_suffix && model.end_of_word_suffix !== '</w>') {
    throw new VocabularyError(source, `model.end_of_word_suffix is ${JSON.stringify(model.end_of_word_suffix)}; the CLIP tokenizer needs "</w>"`);
  }
  const encoder = new Map(Object.entries(model.vocab));
  for (const token of added ?? []) if (!encoder.has(token.content)) encoder.set(token.content, token.id);
  const merges = model.merges.map((merge, i): BpeMerge =>
    typeof merge === 'string' ? parseMergeLine(merge, `${source} model.merges[${i}]`, 1) : [merge[0], merge[1]],
  );
  return withSpecialIds(encoder, merges, source, 'model.vocab');
}

/** Where to find a vocabulary: one file or folder, or Hugging Face's two files. */
export type VocabularySource = string | { vocab: string; merges: string };

async function readHuggingFacePair(vocabFile: string, mergesFile: string): Promise<BpeVocabulary> {
  for (const file of [vocabFile, mergesFile]) if (!existsSync(file)) throw new VocabularyError(file, 'no such file');
  const [vocab, merges] = await Promise.all([fs.readFile(vocabFile, 'utf8'), fs.readFile(mergesFile, 'utf8')]);
  return parseHuggingFaceVocabulary(vocab, merges, `${vocabFile} + ${path.basename(mergesFile)}`);
}

/**
 * Read the vocabulary that came with a model: open_clip's `.txt.gz` (or plain `.txt`), Hugging
 * Face `tokenizer.json`, or `vocab.json` + `merges.txt` (either file names the pair). A folder is
 * searched for `tokenizer.json`, then `vocab.json` + `merges.txt`, then a `*.txt.gz`.
 */
export async function readBpeVocabulary(source: VocabularySource): Promise<BpeVocabulary> {
  if (typeof source !== 'string') return readHuggingFacePair(path.resolve(source.vocab), path.resolve(source.merges));
  const file = path.resolve(source);
  if (!existsSync(file)) throw new VocabularyError(source, 'no such file or folder');
  if (statSync(file).isDirectory()) {
    const candidates = await fs.readdir(file);
    if (candidates.includes('tokenizer.json')) return readBpeVocabulary(path.join(file, 'tokenizer.json'));
    if (candidates.includes('vocab.json')) return readHuggingFacePair(path.join(file, 'vocab.json'), path.join(file, 'merges.txt'));
    const gz = candidates.filter((name) => name.endsWith('.txt.gz')).sort()[0];
    if (gz) return readBpeVocabulary(path.join(file, gz));
    throw new VocabularyError(source, 'no tokenizer.json, vocab.json + merges.txt or *.txt.gz in this folder');
  }
  const name = path.basename(file);
  if (name.endsWith('.json') && name !== 'vocab.json') return parseTokenizerJson(await fs.readFile(file, 'utf8'), file);
  if (name === 'vocab.json') return readHuggingFacePair(file, path.join(path.dirname(file), 'merges.txt'));
  if (name === 'merges.txt') return readHuggingFacePair(path.join(path.dirname(file), 'vocab.json'), file);
  return parseOpenClipVocabulary(new Uint8Array(await fs.readFile(file)), file);
}

/**
 * A vocabulary in open_clip's file format (gzipped): header line, then its merges. Only
 * vocabularies in open_clip's id order (as `buildBpeVocabulary` and `trainBpeVocabulary` make)
 * can be written, since the format stores merges and derives the ids from their order.
 */
export function serializeOpenClipVocabulary(vocabulary: BpeVocabulary): Uint8Array {
  const rebuilt = buildBpeVocabulary(vocabulary.merges);
  // Special tokens are compared by id only: Hugging Face spells them differently.
  const sameIds =
    rebuilt.encoder.size === vocabulary.encoder.size &&
    rebuilt.startOfTextId === vocabulary.startOfTextId &&
    rebuilt.endOfTextId === vocabulary.endOfTextId &&
    [...rebuilt.encoder].every(([token, id]) => id >= rebuilt.startOfTextId || vocabulary.encoder.get(token) === id);
  if (!sameIds) throw new VocabularyError(vocabulary.source, 'ids are not in open_clip order; the .txt.gz format cannot hold this vocabulary');
  if (vocabulary.merges.length > OPEN_CLIP_MAX_MERGES) {
    throw new VocabularyError(vocabulary.source, `${vocabulary.merges.length} merges, but open_clip reads at most ${OPEN_CLIP_MAX_MERGES}`);
  }
  // No trailing newline: open_clip would read an empty last line as one more (empty) merge.
  const text = ['#version: 0.2', ...vocabulary.merges.map(([a, b]) => `${a} ${b}`)].join('\n');
  return new Uint8Array(gzipSync(Buffer.from(text, 'utf8')));
}

/** Write a vocabulary as an open_clip `.txt.gz` file (atomically). */
export async function writeOpenClipVocabulary(file: string, vocabulary: BpeVocabulary): Promise<void> {
  await writeFileAtomic(file, serializeOpenClipVocabulary(vocabulary));
}

/** Hugging Face's spelling of the special tokens, which its CLIP `vocab.json` files use. */
const HUGGING_FACE_SPECIAL: ReadonlyMap<string, string> = new Map([
  [START_OF_TEXT, '<|startoftext|>'],
  [END_OF_TEXT, '<|endoftext|>'],
]);

/**
 * A vocabulary as Hugging Face's `vocab.json` (token → id, special tokens spelled
 * `<|startoftext|>` / `<|endoftext|>`) and `merges.txt` (`#version` line, one merge per line): the
 * pair `readBpeVocabulary` and every CLIP tokenizer read, for vocabularies in any id order.
 */
export function serializeHuggingFaceVocabulary(vocabulary: BpeVocabulary): { vocabJson: string; mergesTxt: string } {
  const entries = [...vocabulary.encoder].sort((a, b) => a[1] - b[1]).map(([token, id]) => [HUGGING_FACE_SPECIAL.get(token) ?? token, id] as const);
  const vocabJson = `${JSON.stringify(Object.fromEntries(entries))}\n`;
  const mergesTxt = `${['#version: 0.2', ...vocabulary.merges.map(([a, b]) => `${a} ${b}`)].join('\n')}\n`;
  return { vocabJson, mergesTxt };
}
