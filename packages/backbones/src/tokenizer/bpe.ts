import type { BpeMerge } from './vocabulary';

/** Distinct tokens cached before the cache starts over (bounded for servers fed arbitrary text). */
const MAX_CACHED_TOKENS = 200_000;

/**
 * Byte-pair encoding of one pre-token with ranked merges, exactly as open_clip's
 * `SimpleTokenizer.bpe`: the last symbol carries `</w>`; the best-ranked adjacent pair present
 * is merged everywhere (left to right) until no known pair remains. Results are cached per token.
 */
export class BytePairEncoder {
  private readonly ranks = new Map<string, number>();
  private readonly cache = new Map<string, readonly string[]>();

  constructor(merges: readonly BpeMerge[]) {
    // A repeated pair keeps its last rank, like Python's dict(zip(merges, range(...))).
    merges.forEach(([a, b], rank) => this.ranks.set(`${a} ${b}`, rank));
  }

  /** Symbols of a byte-encoded pre-token. */
  encode(token: string): readonly string[] {
    const cached = this.cache.get(token);
    if (cached) return cached;
    const symbols = this.merge(token);
    if (this.cache.size >= MAX_CACHED_TOKENS) this.cache.clear();
    this.cache.set(token, symbols);
    return symbols;
  }

  private rank(a: string, b: string): number {
    return this.ranks.get(`${a} ${b}`) ?? Infinity;
  }

  private merge(token: string): readonly string[] {
    const chars = Array.from(token);
    if (chars.length === 0) return [];
    let word = [...chars.slice(0, -1), `${chars[chars.length - 1]}</w>`];
    while (word.length > 1) {
      let best = Infinity;
      let first = '';
      let second = '';
      for (let i = 0; i < word.length - 1; i++) {
        const r = this.rank(word[i] as string, word[i + 1] as string);
        if (r < best) {
          best = r;
          first = word[i] as string;
          second = word[i + 1] as string;
        }
      }
      if (best === Infinity) break;
      const merged: string[] = [];
      for (let i = 0; i < word.length; ) {
        if (i < word.length - 1 && word[i] === first && word[i + 1] === second) {
          merged.push(first + second);
          i += 2;
        } else {
          merged.push(word[i] as string);
          i += 1;
        }
      }
      word = merged;
    }
    return word;
  }
}
