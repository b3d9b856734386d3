/** Raised when a caption normalises to nothing (the paper's `pre_caption` raises ValueError there). */
export class CaptionError extends Error {
  override readonly name = 'CaptionError';
}

export interface NormalizeCaptionOptions {
  /** Keep at most this many space-separated words (default 30, the paper's `max_words`). */
  maxWords?: number;
}

// Python's `\s` on str: [\t\n\v\f\r], the separators \x1c-\x1f, space, \x85 and the Unicode
// space separators. JavaScript's `\s` differs (it adds \ufeff, lacks \x1c-\x1f and \x85), so the
// class is spelled out to collapse exactly what the paper's `re.sub(r"\s{2,}", ' ', ...)` does.
const PYTHON_WHITESPACE = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const WHITESPACE_RUN = new RegExp(`[${PYTHON_WHITESPACE}]{2,}`, 'g');
const DELETED_PUNCTUATION = /[,.'!?"()*#:;~]/g;
const TRAILING_NEWLINES = /\n+$/;
const EDGE_SPACES = /^ +| +$/g;

/**
 * The paper's caption normalisation (`pre_caption` in the official code): lower-case; delete
 * `,.'!?"()*#:;~`; `-` and `/` become spaces; `<person>` becomes `person`; runs of two or more
 * whitespace characters become one space; trailing newlines, then leading and trailing spaces
 * are stripped; the first `maxWords` space-separated words are kept. An empty result throws.
 */
export function normalizeCaption(text: string, options: NormalizeCaptionOptions = {}): string {
  const maxWords = options.maxWords ?? 30;
  if (!Number.isInteger(maxWords) || maxWords <= 0) throw new RangeError(`maxWords must be a positive integer, got ${maxWords}`);
  let caption = text
    .toLowerCase()
    .replace(DELETED_PUNCTUATION, '')
    .replaceAll('-', ' ')
    .replaceAll('/', ' ')
    .replaceAll('<person>', 'person');
  caption = caption.replace(WHITESPACE_RUN, ' ').replace(TRAILING_NEWLINES, '').replace(EDGE_SPACES, '');
  const words = caption.split(' ');
  if (words.length > maxWords) caption = words.slice(0, maxWords).join(' ');
  if (caption.length === 0) throw new CaptionError(`caption ${JSON.stringify(text)} is empty after normalisation`);
  return caption;
}
