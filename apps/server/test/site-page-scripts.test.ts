import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CaptionError, normalizeCaption } from '@harma/data';
import { describe, expect, it } from 'vitest';

// The site's page scripts are plain browser modules (no build step); Node imports them as they are.
const pageScript = async <T>(name: string): Promise<T> => (await import(pathToFileURL(path.resolve(__dirname, '../web/site', name)).href)) as T;
const { normalizeQuery } = await pageScript<{ normalizeQuery: (text: string) => string }>('normalize-query.js');
const { queryIds } = await pageScript<{ queryIds: (ids: readonly number[], contextLength: number) => BigInt64Array }>('query-ids.js');
const { rankImages } = await pageScript<{ rankImages: (embeddings: Float32Array, dim: number, query: Float32Array, k: number) => Array<{ index: number; score: number }> }>('rank-images.js');

describe("the site page's query normalisation", () => {
  it('equals the server\'s (@harma/data normalizeCaption) on tricky input, and is empty where the server refuses', () => {
    const words = Array.from({ length: 40 }, (_, i) => `w${i}`);
    const inputs = [
      'Many planes are parked next to a terminal.',
      '  A river,   crossing a "green" forest!!  ',
      'two-lane road / bridge over (the) river; #3: ok~',
      '<person> walks near <PERSON>',
      'tab\there\x1c\x1d\x85\u00a0\u2003\u3000and more\n\n',
      'keep \ufeff the BOM and \u200b zero-width',
      'Ünïcödé ÇAPS İstanbul ΣΑΣ',
      words.join(' '),
      `${words.join('  ')}   `,
      'one\n',
    ];
    for (const input of inputs) expect(normalizeQuery(input), JSON.stringify(input)).toBe(normalizeCaption(input));
    for (const input of ['?!', ' ... ', '', '"()"']) {
      expect(() => normalizeCaption(input)).toThrow(CaptionError);
      expect(normalizeQuery(input)).toBe('');
    }
  });
});

describe("the site page's token ids", () => {
  it('zero pads to the context length and keeps the end id last when cutting, as open_clip does', () => {
    expect(Array.from(queryIds([49406, 320, 49407], 6), Number)).toEqual([49406, 320, 49407, 0, 0, 0]);
    expect(Array.from(queryIds([49406, 1, 2, 3, 49407], 5), Number)).toEqual([49406, 1, 2, 3, 49407]);
    expect(Array.from(queryIds([49406, 1, 2, 3, 4, 5, 49407], 5), Number)).toEqual([49406, 1, 2, 3, 49407]);
  });
});

describe("the site page's ranking", () => {
  it('returns the k best rows by inner product, best first, equal scores in gallery order', () => {
    // Rows (dim 2): scores against [1, 0] are 0.2, 0.9, 0.5, 0.9, -1, 0.5.
    const embeddings = Float32Array.from([0.2, 0, 0.9, 0, 0.5, 0, 0.9, 0, -1, 0, 0.5, 1]);
    const query = Float32Array.from([1, 0]);
    const indices = (k: number) => rankImages(embeddings, 2, query, k).map((hit) => hit.index);
    expect(indices(1)).toEqual([1]);
    expect(indices(4)).toEqual([1, 3, 2, 5]);
    expect(indices(10)).toEqual([1, 3, 2, 5, 0, 4]);
    expect(rankImages(embeddings, 2, query, 2).map((hit) => hit.score)).toEqual([Math.fround(0.9), Math.fround(0.9)]);
  });
});
