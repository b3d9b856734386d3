/**
 * ftfy 6.3's mojibake repair (`fix_encoding` and its helpers), with its default options: text
 * that looks like UTF-8 decoded in a single-byte encoding is re-encoded and decoded as UTF-8.
 */

import { isBad } from './badness';
import { fixC1Controls, hasC1Control } from './fixes';
import { UTF8_CLUES } from './ftfy-tables';
import {
  CHARMAP_ENCODINGS,
  decodeWindows1252Strict,
  encodeSingleByte,
  isAscii,
  possibleEncoding,
  type CharmapEncoding,
} from './single-byte-codecs';
import { binaryToBytes, bytesToBinary, decodeUtf8Strict, decodeUtf8Variants } from './utf8';

// UTF-8 sequences that would be valid had a byte A0 not been turned into a space (chardata.ALTERED_UTF8_RE).
const ALTERED_UTF8 =
  /[\xc2\xc3\xc5\xce\xd0\xd9][ ]|[\xe2\xe3][ ][\x80-\x84\x86-\x9f\xa1-\xbf]|[\xe0-\xe3][\x80-\x84\x86-\x9f\xa1-\xbf][ ]|[\xf0][ ][\x80-\xbf][\x80-\xbf]|[\xf0][\x80-\xbf][ ][\x80-\xbf]|[\xf0][\x80-\xbf][\x80-\xbf][ ]/g;

// UTF-8 sequences whose continuation bytes were lost to U+FFFD (byte 1A) or '?' (chardata.LOSSY_UTF8_RE).
const LOSSY_UTF8 = new RegExp(
  [
    '[\\xc2-\\xdf][\\x1a]',
    '[\\xc2-\\xc3][?]',
    '\\xed[\\xa0-\\xaf][\\x1a?]\\xed[\\xb0-\\xbf][\\x1a?\\x80-\\xbf]',
    '\\xed[\\xa0-\\xaf][\\x1a?\\x80-\\xbf]\\xed[\\xb0-\\xbf][\\x1a?]',
    '[\\xe0-\\xef][\\x1a?][\\x1a\\x80-\\xbf]',
    '[\\xe0-\\xef][\\x1a\\x80-\\xbf][\\x1a?]',
    '[\\xf0-\\xf4][\\x1a?][\\x1a\\x80-\\xbf][\\x1a\\x80-\\xbf]',
    '[\\xf0-\\xf4][\\x1a\\x80-\\xbf][\\x1a?][\\x1a\\x80-\\xbf]',
    '[\\xf0-\\xf4][\\x1a\\x80-\\xbf][\\x1a\\x80-\\xbf][\\x1a?]',
    '\\x1a',
  ].join('|'),
  'g',
);

// " Ã " as a word is "à" followed by a space (fixes.A_GRAVE_WORD_RE), except in Portuguese contractions.
const A_GRAVE_WORD = /\xc3 (?! |quele|quela|quilo|s )/g;

function escapeClass(chars: string): string {
  return chars.replace(/[\\\]^-]/g, (c) => `\\${c}`);
}

const CONTINUATION = `\\x80-\\xbf ${escapeClass(UTF8_CLUES.continuationExtra)}`;
const CONTINUATION_STRICT = `\\x80-\\xbf${escapeClass(UTF8_CLUES.continuationStrictExtra)}`;
// Runs of likely UTF-8 mojibake not preceded by a continuation character (chardata.UTF8_DETECTOR_RE).
const UTF8_DETECTOR = new RegExp(
  `(?<![${CONTINUATION_STRICT}])(?:` +
    `[${escapeClass(UTF8_CLUES.firstOf2)}][${CONTINUATION}]` +
    `|[${escapeClass(UTF8_CLUES.firstOf3)}][${CONTINUATION}]{2}` +
    `|[${escapeClass(UTF8_CLUES.firstOf4)}][${CONTINUATION}]{3}` +
    ')+',
  'gu',
);

/** Put back bytes A0 that became spaces inside UTF-8 sequences (binary string in and out). */
export function restoreByteA0(bytes: string): string {
  return bytes.replace(A_GRAVE_WORD, '\xc3\xa0 ').replace(ALTERED_UTF8, (match) => match.replaceAll(' ', '\xa0'));
}

/** Replace UTF-8 sequences damaged by lost bytes with the UTF-8 of U+FFFD (binary string in and out). */
export function replaceLossySequences(bytes: string): string {
  return bytes.replace(LOSSY_UTF8, '\xef\xbf\xbd');
}

/** Fix mojibake embedded in otherwise consistent text, one detected run at a time. */
export function decodeInconsistentUtf8(text: string): string {
  return text.replace(UTF8_DETECTOR, (run) => (run.length < text.length && isBad(run) ? fixEncoding(run) : run));
}

/** One attempt to decode `text` as UTF-8 that went through `encoding`; undefined when it is not. */
function reinterpret(text: string, encoding: CharmapEncoding): string | undefined {
  let bytes = bytesToBinary(encodeSingleByte(text, encoding));
  // MacRoman is spared: there an en dash followed by a space would look like an altered sequence.
  if (encoding !== 'macroman' && new RegExp(ALTERED_UTF8.source).test(bytes)) bytes = restoreByteA0(bytes);
  if (encoding.startsWith('sloppy-')) bytes = replaceLossySequences(bytes);
  const raw = binaryToBytes(bytes);
  return raw.includes(0xed) || raw.includes(0xc0) ? decodeUtf8Variants(raw) : decodeUtf8Strict(raw);
}

/** One step of ftfy's `_fix_encoding_one_step_and_explain`. */
function fixEncodingOneStep(text: string): string {
  if (text.length === 0 || isAscii(text) || !isBad(text)) return text;

  const possible: CharmapEncoding[] = [];
  for (const encoding of CHARMAP_ENCODINGS) {
    if (!possibleEncoding(text, encoding)) continue;
    possible.push(encoding);
    const fixed = reinterpret(text, encoding);
    if (fixed !== undefined) return fixed;
  }

  if (new RegExp(UTF8_DETECTOR.source, 'u').test(text)) {
    const fixed = decodeInconsistentUtf8(text);
    if (fixed !== text) return fixed;
  }

  // ftfy checks for 'windows-1252' among encodings that only list 'sloppy-windows-1252', so text
  // that fits Latin-1 is always tried as Windows-1252 here; kept as is to reproduce it.
  if (possible.includes('latin-1')) {
    const fixed = decodeWindows1252Strict(encodeSingleByte(text, 'latin-1'));
    if (fixed !== undefined && fixed !== text) return fixed;
  }

  if (hasC1Control(text)) return fixC1Controls(text);
  return text;
}

/** ftfy's `fix_encoding`: repeat the one-step repair until the text stops changing. */
export function fixEncoding(text: string): string {
  let current = text;
  for (;;) {
    const next = fixEncodingOneStep(current);
    if (next === current) return current;
    current = next;
  }
}
