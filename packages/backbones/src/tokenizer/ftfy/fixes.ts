/** The character-level fixers of ftfy 6.3 (fixes.py) that `fix_text` applies after the encoding fix. */

import { decodeSingleByte } from './single-byte-codecs';

// eslint-disable-next-line no-control-regex -- terminal escapes start with the ESC control character
const ANSI_ESCAPE = /\x1b\[((?:\d|;)*)([a-zA-Z])/g;

/** Remove ANSI terminal escapes such as colour codes. */
export function removeTerminalEscapes(text: string): string {
  return text.includes('\x1b') ? text.replace(ANSI_ESCAPE, '') : text;
}

const SINGLE_QUOTES = /[\u02bc\u2018-\u201b]/g;
const DOUBLE_QUOTES = /[\u201c-\u201f]/g;

/** Replace curly quotation marks (and U+02BC) with straight ones. */
export function uncurlQuotes(text: string): string {
  return text.replace(DOUBLE_QUOTES, '"').replace(SINGLE_QUOTES, "'");
}

// Latin ligatures and legacy digraphs; ligatures of other scripts are left alone, as ftfy does.
const LIGATURES: ReadonlyMap<string, string> = new Map([
  ['\u0132', 'IJ'],
  ['\u0133', 'ij'],
  ['\u0149', '\u02bcn'],
  ['\u01f1', 'DZ'],
  ['\u01f2', 'Dz'],
  ['\u01f3', 'dz'],
  ['\u01c4', 'D\u017d'],
  ['\u01c5', 'D\u017e'],
  ['\u01c6', 'd\u017e'],
  ['\u01c7', 'LJ'],
  ['\u01c8', 'Lj'],
  ['\u01c9', 'lj'],
  ['\u01ca', 'NJ'],
  ['\u01cb', 'Nj'],
  ['\u01cc', 'nj'],
  ['\ufb00', 'ff'],
  ['\ufb01', 'fi'],
  ['\ufb02', 'fl'],
  ['\ufb03', 'ffi'],
  ['\ufb04', 'ffl'],
  ['\ufb05', '\u017ft'],
  ['\ufb06', 'st'],
]);
const LIGATURE_CHARS = new RegExp(`[${[...LIGATURES.keys()].join('')}]`, 'g');

/** Split Latin ligatures (`ﬁ` → `fi`). */
export function fixLatinLigatures(text: string): string {
  return text.replace(LIGATURE_CHARS, (char) => LIGATURES.get(char) ?? char);
}

/** U+3000 and every U+FF01–U+FFEF character whose NFKC form differs, mapped to that form. */
const WIDTH_MAP: ReadonlyMap<string, string> = (() => {
  const map = new Map<string, string>([['\u3000', ' ']]);
  for (let code = 0xff01; code < 0xfff0; code++) {
    const char = String.fromCharCode(code);
    const alternate = char.normalize('NFKC');
    if (alternate !== char) map.set(char, alternate);
  }
  return map;
})();
const WIDTH_CHARS = /[\u3000\uff01-\uffef]/g;

/** Replace fullwidth and halfwidth forms with their standard-width equivalents. */
export function fixCharacterWidth(text: string): string {
  return text.replace(WIDTH_CHARS, (char) => WIDTH_MAP.get(char) ?? char);
}

/** CRLF, CR, U+2028, U+2029 and U+0085 become `\n`. */
export function fixLineBreaks(text: string): string {
  return text
    .replaceAll('\r\n', '\n')
    .replaceAll('\r', '\n')
    .replaceAll('\u2028', '\n')
    .replaceAll('\u2029', '\n')
    .replaceAll('\u0085', '\n');
}

/**
 * Replace unpaired UTF-16 surrogates with U+FFFD. (Paired ones already form one character in a
 * JavaScript string, which is what ftfy's pairing produces.)
 */
export function fixSurrogates(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

// eslint-disable-next-line no-control-regex -- removing control characters is the point
const CONTROL_CHARS = /[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc]/g;

/** Remove control characters with no visible effect (keeps tab, line breaks, C1 controls, joiners). */
export function removeControlChars(text: string): string {
  return text.replace(CONTROL_CHARS, '');
}

const C1_CONTROLS = /[\x80-\x9f]/g;

/** Treat remaining C1 control characters as the Windows-1252 characters they stand for. */
export function fixC1Controls(text: string): string {
  return text.replace(C1_CONTROLS, (char) => decodeSingleByte(Uint8Array.of(char.charCodeAt(0)), 'sloppy-windows-1252'));
}

/** Whether the text holds a C1 control character. */
export function hasC1Control(text: string): boolean {
  return /[\x80-\x9f]/.test(text);
}
