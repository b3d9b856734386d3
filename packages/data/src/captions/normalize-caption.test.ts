import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeWithReferenceData } from '@harma/test-support';
import { CaptionError, normalizeCaption } from './normalize-caption';

describe('normalizeCaption', () => {
  it('applies each rule of the paper', () => {
    expect(normalizeCaption('Two Boats, (moored) at the "pier"!')).toBe('two boats moored at the pier');
    expect(normalizeCaption('a t-junction/crossroad')).toBe('a t junction crossroad');
    expect(normalizeCaption('a <person> walks')).toBe('a person walks');
    expect(normalizeCaption('  many   trees  ')).toBe('many trees');
    expect(normalizeCaption('trees ;~#* here.\n\n')).toBe('trees here');
  });

  it('keeps a single tab or newline inside the caption, as Python does', () => {
    expect(normalizeCaption('a\tb')).toBe('a\tb');
    expect(normalizeCaption('a\nb')).toBe('a\nb');
    expect(normalizeCaption('a \t b')).toBe('a b');
  });

  it('strips trailing newlines and edge spaces only (values from Python 3 pre_caption)', () => {
    expect(normalizeCaption('x\n')).toBe('x');
    expect(normalizeCaption(' x\n')).toBe('x');
    expect(normalizeCaption('x\n ')).toBe('x');
    expect(normalizeCaption('\nx')).toBe('\nx');
  });

  it('collapses exactly what Python calls whitespace', () => {
    expect(normalizeCaption('a\x1cb')).toBe('a\x1cb');
    expect(normalizeCaption('a\x1c\x1cb')).toBe('a b');
    expect(normalizeCaption('a\x85 b')).toBe('a b');
    expect(normalizeCaption('a\ufeff\ufeffb')).toBe('a\ufeff\ufeffb');
  });

  it('keeps the first 30 words by default, or maxWords', () => {
    const words = Array.from({ length: 40 }, (_, i) => `w${i}`);
    expect(normalizeCaption(words.join(' ')).split(' ')).toEqual(words.slice(0, 30));
    expect(normalizeCaption('a b c d', { maxWords: 2 })).toBe('a b');
  });

  it('refuses a caption that is empty after normalisation', () => {
    expect(() => normalizeCaption(' .,!? ')).toThrow(CaptionError);
    expect(() => normalizeCaption('')).toThrow(/empty after normalisation/);
  });
});

describeWithReferenceData('normalizeCaption on every RSITMD test caption', (dir) => {
  it('equals the `pre` field of all 2,260 lines of the tokenizer fixture', () => {
    const lines = readFileSync(path.join(dir, 'golden', 'tokenizer', 'rsitmd_test.jsonl'), 'utf8').split('\n').filter((line) => line.length > 0);
    expect(lines).toHaveLength(2260);
    const mismatches: string[] = [];
    for (const line of lines) {
      const { raw, pre } = JSON.parse(line) as { raw: string; pre: string };
      const actual = normalizeCaption(raw);
      if (actual !== pre) mismatches.push(`${JSON.stringify(raw)} -> ${JSON.stringify(actual)}, expected ${JSON.stringify(pre)}`);
    }
    expect(mismatches).toEqual([]);
  });
});
