import { BYTE_VOCABULARY, byteEncode } from './bytes-to-unicode';
import { preTokenize } from './pre-tokenize';
import { cleanText } from './text-clean';
import { buildBpeVocabulary, END_OF_TEXT, START_OF_TEXT, type BpeMerge, type BpeVocabulary } from './vocabulary';

export interface TrainBpeOptions {
  /** Most merges to learn; the vocabulary then has at most 512 + merges + 2 ids. */
  merges: number;
  /** Smallest number of occurrences (over the corpus) a pair needs to be merged. Default: 2. */
  minFrequency?: number;
  /** Description for error messages. Default: `trained vocabulary`. */
  source?: string;
}

interface Word {
  symbols: string[];
  count: number;
}

/**
 * Learn CLIP-style BPE merges from captions: the same cleaning and pre-tokens as the tokenizer,
 * byte-level symbols with `</w>` on the last one, then repeatedly merge the most frequent
 * adjacent pair (ties: the pair whose `"a b"` spelling sorts first). A pair whose merged symbol
 * already exists is skipped, so every id stays unique. Returns the vocabulary in open_clip's id
 * order, ready for `ClipTokenizer` or `writeOpenClipVocabulary`.
 */
export function trainBpeVocabulary(texts: Iterable<string>, options: TrainBpeOptions): BpeVocabulary {
  const { merges: maxMerges, minFrequency = 2, source = 'trained vocabulary' } = options;
  if (!Number.isInteger(maxMerges) || maxMerges < 0) throw new Error(`trainBpeVocabulary: merges must be a non-negative integer, got ${maxMerges}`);

  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const piece of preTokenize(cleanText(text))) {
      if (piece === START_OF_TEXT || piece === END_OF_TEXT) continue;
      const encoded = byteEncode(piece);
      counts.set(encoded, (counts.get(encoded) ?? 0) + 1);
    }
  }
  const words: Word[] = [...counts].map(([token, count]) => {
    const chars = Array.from(token);
    return { symbols: [...chars.slice(0, -1), `${chars[chars.length - 1]}</w>`], count };
  });

  const pairCounts = new Map<string, number>();
  const pairWords = new Map<string, Set<number>>();
  const account = (index: number, sign: 1 | -1): void => {
    const { symbols, count } = words[index] as Word;
    for (let i = 0; i < symbols.length - 1; i++) {
      const key = `${symbols[i]} ${symbols[i + 1]}`;
      const total = (pairCounts.get(key) ?? 0) + sign * count;
      if (total === 0) pairCounts.delete(key);
      else pairCounts.set(key, total);
      if (sign > 0) {
        let where = pairWords.get(key);
        if (!where) pairWords.set(key, (where = new Set()));
        where.add(index);
      } else pairWords.get(key)?.delete(index);
    }
  };
  words.forEach((_, index) => account(index, 1));

  const known = new Set([...BYTE_VOCABULARY, ...BYTE_VOCABULARY.map((t) => `${t}</w>`)]);
  const skipped = new Set<string>();
  const merges: BpeMerge[] = [];
  while (merges.length < maxMerges) {
    let bestKey: string | undefined;
    let bestCount = 0;
    for (const [key, count] of pairCounts) {
      if (skipped.has(key)) continue;
      if (count > bestCount || (count === bestCount && bestKey !== undefined && key < bestKey)) {
        bestKey = key;
        bestCount = count;
      }
    }
    if (bestKey === undefined || bestCount < minFrequency) break;
    const [first, second] = bestKey.split(' ') as [string, string];
    const merged = first + second;
    if (known.has(merged)) {
      skipped.add(bestKey);
      continue;
    }
    known.add(merged);
    merges.push([first, second]);
    for (const index of [...(pairWords.get(bestKey) ?? [])]) {
      account(index, -1);
      const word = words[index] as Word;
      const next: string[] = [];
      for (let i = 0; i < word.symbols.length; ) {
        if (i < word.symbols.length - 1 && word.symbols[i] === first && word.symbols[i + 1] === second) {
          next.push(merged);
          i += 2;
        } else next.push(word.symbols[i++] as string);
      }
      word.symbols = next;
      account(index, 1);
    }
  }
  return buildBpeVocabulary(merges, source);
}
