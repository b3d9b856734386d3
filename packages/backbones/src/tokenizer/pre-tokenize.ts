import { END_OF_TEXT, START_OF_TEXT } from './vocabulary';

// open_clip's pattern, compiled case-insensitive by Python's `regex` module, whose `\s` is Unicode White_Space.
const PRE_TOKEN = new RegExp(
  `${START_OF_TEXT}|${END_OF_TEXT}|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\p{White_Space}\\p{L}\\p{N}]+`,
  'giu',
);

/** Split cleaned text into the pieces BPE works on: special tokens, contractions, letter runs, single digits, symbol runs. */
export function preTokenize(cleaned: string): string[] {
  return Array.from(cleaned.matchAll(PRE_TOKEN), (match) => match[0]);
}
