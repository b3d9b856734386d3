import { PY_WHITESPACE } from './ftfy/badness';
import { fixText } from './ftfy/fix-text';
import { htmlUnescape } from './ftfy/html-entities';

const PY_STRIP = new RegExp(`^[${PY_WHITESPACE}]+|[${PY_WHITESPACE}]+$`, 'gu');
// open_clip imports the `regex` module, whose `\s` is Unicode White_Space.
const WHITESPACE_RUN = /\p{White_Space}+/gu;

/** Python `str.strip()` with no argument. */
function pyStrip(text: string): string {
  return text.replace(PY_STRIP, '');
}

/** open_clip's `basic_clean`: ftfy `fix_text`, HTML unescaping twice, strip. */
export function basicClean(text: string): string {
  return pyStrip(htmlUnescape(htmlUnescape(fixText(text))));
}

/** open_clip's `whitespace_clean`: every whitespace run becomes one space, then strip. */
export function whitespaceClean(text: string): string {
  return pyStrip(text.replace(WHITESPACE_RUN, ' '));
}

/** What the CLIP tokenizer does to a caption before splitting it: basic clean, whitespace clean, lower-case. */
export function cleanText(text: string): string {
  return whitespaceClean(basicClean(text)).toLowerCase();
}
