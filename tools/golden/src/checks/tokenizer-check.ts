import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClipTokenizer, readBpeVocabulary } from '@harma/backbones';
import type { CheckLine } from '../report';

export interface TokenizerCheckOptions {
  /** Vocabulary to tokenize with. Default: `$HARMA_REFERENCE_DATA/vocab/bpe_simple_vocab_16e6.txt.gz` (`../shared` beside the repository). */
  vocab?: string;
}

/** Mismatching lines reported one by one; the rest are counted in the summary. */
const LISTED_MISMATCHES = 20;

/** The CLIP vocabulary in the reference data folder (not in the repository: it is not ours to redistribute). */
export function defaultVocabularyPath(): string {
  if (process.env.HARMA_REFERENCE_DATA) return path.join(process.env.HARMA_REFERENCE_DATA, 'vocab', 'bpe_simple_vocab_16e6.txt.gz');
  // The repository root is the folder above this module holding turbo.json and fixtures/.
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!(existsSync(path.join(dir, 'turbo.json')) && existsSync(path.join(dir, 'fixtures')))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot locate the repository root to find ../shared; set HARMA_REFERENCE_DATA or pass --vocab');
    dir = parent;
  }
  return path.join(dir, '..', 'shared', 'vocab', 'bpe_simple_vocab_16e6.txt.gz');
}

interface FixtureLine {
  lineNumber: number;
  text: string;
  ids: number[];
}

/** `rsitmd_test.jsonl` lines tokenize `pre` (the caption after normalisation); `edge_cases.jsonl` lines tokenize `text`. */
function parseLine(line: string, lineNumber: number, file: string): FixtureLine {
  let row: unknown;
  try {
    row = JSON.parse(line);
  } catch (error) {
    throw new Error(`${file}:${lineNumber}: not valid JSON (${(error as Error).message})`);
  }
  const record = (typeof row === 'object' && row !== null ? row : {}) as Record<string, unknown>;
  const text = typeof record.pre === 'string' ? record.pre : record.text;
  if (typeof text !== 'string') throw new Error(`${file}:${lineNumber}: needs a string field "pre" or "text"`);
  const ids = record.ids;
  if (!Array.isArray(ids) || !ids.every((id) => Number.isInteger(id))) throw new Error(`${file}:${lineNumber}: field "ids" must be an array of integers`);
  return { lineNumber, text, ids: ids as number[] };
}

function firstDifference(actual: number[], expected: number[]): number {
  let i = 0;
  while (i < actual.length && i < expected.length && actual[i] === expected[i]) i++;
  return i;
}

/** Tokenize every line of a tokenizer .jsonl fixture and compare the ids exactly. */
export async function checkTokenizerFixture(file: string, options: TokenizerCheckOptions = {}): Promise<CheckLine[]> {
  const vocab = options.vocab ?? defaultVocabularyPath();
  if (!existsSync(vocab)) throw new Error(`vocabulary not found: ${vocab} (set HARMA_REFERENCE_DATA or pass --vocab)`);
  const tokenizer = new ClipTokenizer(await readBpeVocabulary(vocab));
  const name = path.basename(file);
  const rows = (await fs.readFile(file, 'utf8'))
    .split('\n')
    .map((line, i) => ({ line, lineNumber: i + 1 }))
    .filter(({ line }) => line.trim() !== '')
    .map(({ line, lineNumber }) => parseLine(line, lineNumber, name));
  if (rows.length === 0) throw new Error(`${file}: no lines to check`);

  const lines: CheckLine[] = [];
  let mismatches = 0;
  for (const row of rows) {
    const actual = tokenizer.encodeOne(row.text);
    if (actual.length === row.ids.length && actual.every((id, i) => id === row.ids[i])) continue;
    mismatches += 1;
    if (mismatches > LISTED_MISMATCHES) continue;
    const at = firstDifference(actual, row.ids);
    lines.push({
      name: `${name}:${row.lineNumber}`,
      status: 'off',
      note: `ids differ from position ${at}: got [${actual.slice(at, at + 6).join(', ')}…] (${actual.length} ids), expected [${row.ids.slice(at, at + 6).join(', ')}…] (${row.ids.length} ids) for ${JSON.stringify(row.text.slice(0, 60))}`,
    });
  }
  const unlisted = mismatches > LISTED_MISMATCHES ? `; ${mismatches - LISTED_MISMATCHES} more mismatches not listed` : '';
  lines.push({
    name: `${name}: token ids`,
    status: mismatches === 0 ? 'ok' : 'off',
    note: `${rows.length - mismatches}/${rows.length} lines identical (vocabulary ${path.basename(vocab)})${unlisted}`,
  });
  return lines;
}
