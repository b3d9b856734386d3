import { MOJIBAKE_CATEGORIES as C } from './ftfy-tables';

/** Python `re`'s `\s` for str patterns (str.isspace), which JavaScript's `\s` does not match exactly. */
export const PY_WHITESPACE = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
/** Python `re`'s `\w` for str patterns (str.isalnum or '_'). */
const PY_WORD = '\\p{L}\\p{N}_';

const S = `[${PY_WHITESPACE}]`;

/**
 * ftfy 6.3's BADNESS_RE (badness.py): sequences of characters that are far more likely to be
 * mojibake than intended text. Transcribed alternative by alternative from the verbose Python
 * pattern, with Python's `\s`, `\w` and `.` spelled out.
 */
const BADNESS = new RegExp(
  [
    `[${C.c1}]`,
    `[${C.bad}${C.lowerAccented}${C.upperAccented}${C.box}${C.startPunctuation}${C.endPunctuation}${C.currency}${C.numeric}${C.law}][${C.bad}]`,
    `[a-zA-Z][${C.lowerCommon}${C.upperCommon}][${C.bad}]`,
    `[${C.bad}][${C.lowerAccented}${C.upperAccented}${C.box}${C.startPunctuation}${C.endPunctuation}${C.currency}${C.numeric}${C.law}]`,
    `[${C.lowerAccented}${C.lowerCommon}${C.box}${C.endPunctuation}${C.currency}${C.numeric}][${C.upperAccented}]`,
    `[${C.box}${C.endPunctuation}${C.currency}${C.numeric}][${C.lowerAccented}]`,
    `[${C.lowerAccented}${C.box}${C.endPunctuation}][${C.currency}]`,
    `${S}[${C.upperAccented}][${C.currency}]`,
    `[${C.upperAccented}${C.box}][${C.numeric}${C.law}]`,
    `[${C.lowerAccented}${C.upperAccented}${C.box}${C.currency}${C.endPunctuation}][${C.startPunctuation}][${C.numeric}]`,
    `[${C.lowerAccented}${C.upperAccented}${C.currency}${C.numeric}${C.box}${C.law}][${C.endPunctuation}][${C.startPunctuation}]`,
    `[${C.currency}${C.numeric}${C.box}][${C.startPunctuation}]`,
    `[a-z][${C.upperAccented}][${C.startPunctuation}${C.currency}]`,
    `[${C.box}][${C.kaomoji}]`,
    `[${C.lowerAccented}${C.upperAccented}${C.currency}${C.numeric}${C.startPunctuation}${C.endPunctuation}${C.law}][${C.box}]`,
    `[${C.box}][${C.endPunctuation}]`,
    `[${C.lowerAccented}${C.upperAccented}][${C.startPunctuation}${C.endPunctuation}][${PY_WORD}]`,
    // The ligature œ when not followed by an unaccented Latin letter.
    '[\u0152\u0153][^A-Za-z]',
    // Degree signs after capital letters.
    `[${C.upperAccented}]\u00b0`,
    // Common Windows-1252 two-character mojibake.
    `[\u00c2\u00c3\u00ce\u00d0][\u20ac\u0153\u0160\u0161\u00a2\u00a3\u0178\u017e\u00a0\u00ad\u00ae\u00a9\u00b0\u00b7\u00bb${C.startPunctuation}${C.endPunctuation}\u2013\u2014\u00b4]`,
    '\u00d7[\u00b2\u00b3]',
    // Windows-1252 mojibake of Arabic words: four characters.
    `[\u00d8\u00d9][${C.common}${C.currency}${C.bad}${C.numeric}${C.startPunctuation}\u0178\u0160\u00ae\u00b0\u00b5\u00bb]` +
      `[\u00d8\u00d9][${C.common}${C.currency}${C.bad}${C.numeric}${C.startPunctuation}\u0178\u0160\u00ae\u00b0\u00b5\u00bb]`,
    // Windows-1252 mojibake starting three-character sequences of South Asian alphabets.
    '\u00e0[\u00b2\u00b5\u00b9\u00bc\u00bd\u00be]',
    // MacRoman mojibake.
    '\u221a[\u00b1\u2202\u2020\u2260\u00ae\u2122\u00b4\u2264\u2265\u00a5\u00b5\u00f8]',
    '\u2248[\u00b0\u00a2]',
    '\u201a\u00c4[\u00ec\u00ee\u00ef\u00f2\u00f4\u00fa\u00f9\u00fb\u2020\u00b0\u00a2\u03c0]',
    '\u201a[\u00e2\u00f3][\u00e0\u00e4\u00b0\u00ea]',
    // Windows-1251 mojibake of characters in the U+2000 range.
    '\u0432\u0402',
    // Windows-1251 mojibake of Latin-1 characters and/or Cyrillic: three characters.
    `[\u0412\u0413\u0420\u0421][${C.c1}${C.bad}${C.startPunctuation}${C.endPunctuation}${C.currency}\u00b0\u00b5][\u0412\u0413\u0420\u0421]`,
    // Windows-1251 on top of Latin-1 mojibake of Windows-1252, next to a Latin letter.
    '\u0413\u045e\u0412\u0402\u0412[^\\n][A-Za-z ]',
    // Windows-1252 encodings of 'à' and 'á', and of U+A0 itself.
    '\u00c3[\u00a0\u00a1]',
    `[a-z]${S}?[\u00c3\u00c2][ ]`,
    '^[\u00c3\u00c2][ ]',
    // Â preceding a character as an encoding of exactly that character.
    `[a-z.,?!${C.endPunctuation}]\u00c2[ ${C.startPunctuation}${C.endPunctuation}]`,
    // Windows-1253 mojibake of characters in the U+2000 range.
    '\u03b2\u20ac[\u2122\u00a0\u0386\u00ad\u00ae\u00b0]',
    // Windows-1253 mojibake of Latin-1 characters and/or Greek.
    `[\u0392\u0393\u039e\u039f][${C.c1}${C.bad}${C.startPunctuation}${C.endPunctuation}${C.currency}\u00b0][\u0392\u0393\u039e\u039f]`,
    // Windows-1257 mojibake of characters in the U+2000 range.
    '\u0101\u20ac',
  ].join('|'),
  'u',
);

/** ftfy's `is_bad`: whether the text looks like it contains mojibake. */
export function isBad(text: string): boolean {
  return BADNESS.test(text);
}

/** ftfy's `badness`: how many mojibake-looking sequences the text holds. */
export function badness(text: string): number {
  const global = new RegExp(BADNESS.source, 'gu');
  return text.match(global)?.length ?? 0;
}
