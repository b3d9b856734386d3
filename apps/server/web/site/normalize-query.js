// A query as the model saw its captions: the paper's caption normalisation, exactly as the server
// applies it to /api/search/text queries (@harma/data's normalizeCaption, 30 words at most).

// Python's `\s` on str, spelled out as @harma/data spells it, so whitespace runs collapse alike.
const PYTHON_WHITESPACE = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const WHITESPACE_RUN = new RegExp(`[${PYTHON_WHITESPACE}]{2,}`, 'g');
const DELETED_PUNCTUATION = /[,.'!?"()*#:;~]/g;
const MAX_WORDS = 30;

/**
 * Lower-case; delete `,.'!?"()*#:;~`; `-` and `/` become spaces; `<person>` becomes `person`; runs
 * of whitespace become one space; trailing newlines, then edge spaces are stripped; at most 30
 * words. Returns '' when nothing is left (the server answers 400 there).
 * @param {string} text
 * @returns {string}
 */
export function normalizeQuery(text) {
  const caption = text
    .toLowerCase()
    .replace(DELETED_PUNCTUATION, '')
    .replaceAll('-', ' ')
    .replaceAll('/', ' ')
    .replaceAll('<person>', 'person')
    .replace(WHITESPACE_RUN, ' ')
    .replace(/\n+$/, '')
    .replace(/^ +| +$/g, '');
  return caption.split(' ').slice(0, MAX_WORDS).join(' ');
}
