import { describe, expect, it } from 'vitest';
import { ClipTokenizer } from './clip-tokenizer';
import { trainBpeVocabulary } from './train-bpe';

describe('trainBpeVocabulary', () => {
  it('merges the most frequent pair first and stops below the minimum frequency', () => {
    // "aaab" once: a a a b</w>; "aab" twice: a a b</w>. (a, a) occurs 2 + 2 = 4 times, (a, b</w>) 3:
    // merge aa; then (aa, b</w>) occurs twice → aab</w>; what is left occurs once.
    const vocabulary = trainBpeVocabulary(['aaab aab', 'aab'], { merges: 10 });
    expect(vocabulary.merges).toEqual([
      ['a', 'a'],
      ['aa', 'b</w>'],
    ]);
    expect(vocabulary.encoder.get('aa')).toBe(512);
    expect(vocabulary.encoder.get('aab</w>')).toBe(513);
    expect(vocabulary.startOfTextId).toBe(514);
    expect(vocabulary.endOfTextId).toBe(515);
    const tokenizer = new ClipTokenizer(vocabulary);
    // 'a' is byte id 64, 'b</w>' 65 + 256.
    expect(tokenizer.encodeOne('AAB aaab')).toEqual([514, 513, 512, 64, 321, 515]);
  });

  it('breaks ties by the spelling of the pair', () => {
    const vocabulary = trainBpeVocabulary(['cd ab cd ab'], { merges: 5 });
    expect(vocabulary.merges).toEqual([
      ['a', 'b</w>'],
      ['c', 'd</w>'],
    ]);
  });

  it('honours the merge budget', () => {
    expect(trainBpeVocabulary(['aaab aab', 'aab'], { merges: 1 }).merges).toEqual([['a', 'a']]);
  });

  it('keeps every id unique and encodes its own corpus losslessly', () => {
    // Words of three letters share many pairs: a long merge list over a tangled corpus.
    let seed = 7;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const words = Array.from({ length: 300 }, () => Array.from({ length: 2 + Math.floor(next() * 6) }, () => 'abc'[Math.floor(next() * 3)]).join(''));
    const captions = Array.from({ length: 200 }, (_, i) => words.slice(i % 280, (i % 280) + 8).join(' '));
    const vocabulary = trainBpeVocabulary(captions, { merges: 400, minFrequency: 1 });
    expect(new Set(vocabulary.encoder.values()).size).toBe(vocabulary.encoder.size);
    expect(vocabulary.encoder.size).toBe(512 + vocabulary.merges.length + 2);
    const tokenizer = new ClipTokenizer(vocabulary, { contextLength: 200 });
    for (const caption of captions.slice(0, 20)) {
      const ids = tokenizer.encodeOne(caption);
      expect(tokenizer.decode(ids.slice(1, -1))).toBe(`${caption} `);
      expect(ids.length).toBeLessThan(caption.length);
    }
  });

  it('refuses a negative merge budget', () => {
    expect(() => trainBpeVocabulary(['a'], { merges: -1 })).toThrow(/merges/);
  });
});
