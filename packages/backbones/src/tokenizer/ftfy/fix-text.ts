import { fixEncoding } from './fix-encoding';
import {
  fixC1Controls,
  fixCharacterWidth,
  fixLatinLigatures,
  fixLineBreaks,
  fixSurrogates,
  removeControlChars,
  removeTerminalEscapes,
  uncurlQuotes,
} from './fixes';
import { ftfyUnescapeHtml } from './html-entities';

/** ftfy's default `max_decode_length`: longer lines are fixed in pieces of this many characters. */
const MAX_DECODE_LENGTH = 1_000_000;

const FIXERS: ReadonlyArray<(text: string) => string> = [
  fixC1Controls,
  fixLatinLigatures,
  fixCharacterWidth,
  uncurlQuotes,
  fixLineBreaks,
  fixSurrogates,
  removeTerminalEscapes,
  removeControlChars,
];

/** ftfy's `fix_and_explain` on one segment: apply every fix until the text stops changing. */
function fixSegment(segment: string, unescapeHtml: boolean): string {
  let text = segment;
  for (;;) {
    const original = text;
    if (unescapeHtml) text = ftfyUnescapeHtml(text);
    text = fixEncoding(text);
    for (const fixer of FIXERS) text = fixer(text);
    text = text.normalize('NFC');
    if (text === original) return text;
  }
}

/**
 * A port of ftfy 6.3's `fix_text` with its default configuration, which open_clip applies to every
 * caption: HTML entities (unless the text holds a literal `<`, from that line on), mojibake of UTF-8
 * read as Latin-1 / Windows-125x / ISO-8859-2 / MacRoman / CP437, C1 controls, Latin ligatures,
 * fullwidth and halfwidth forms, curly quotes, line breaks, lone surrogates, terminal escapes,
 * control characters, then NFC normalisation — line by line, repeated until nothing changes.
 *
 * Lengths are counted in UTF-16 units where Python counts code points; this only moves the
 * 1,000,000-character split point of pathological lines.
 */
export function fixText(text: string): string {
  let unescapeHtml = true;
  let out = '';
  let pos = 0;
  while (pos < text.length) {
    let textBreak = text.indexOf('\n', pos) + 1;
    if (textBreak === 0) textBreak = text.length;
    if (textBreak - pos > MAX_DECODE_LENGTH) textBreak = pos + MAX_DECODE_LENGTH;
    const segment = text.slice(pos, textBreak);
    // ftfy's "auto" setting: a literal '<' suggests real HTML, whose entities must stay.
    if (unescapeHtml && segment.includes('<')) unescapeHtml = false;
    out += fixSegment(segment, unescapeHtml);
    pos = textBreak;
  }
  return out;
}
