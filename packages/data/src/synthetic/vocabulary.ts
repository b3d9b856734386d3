import { normalizeCaption } from '../captions/normalize-caption';
import { AMOUNT_NAMES, DIRECTION_NAMES, NUMBER_WORDS, OBJECT_NAMES, PLACE_NAMES, RELATION_NAMES, SCENE_NAMES, SIZE_NAMES } from './lexicon';
import { NAMED_COLOURS } from './palette';

// Words the caption templates themselves use (captions.ts); a test checks that generated captions use no other.
const TEMPLATE_WORDS =
  'a an and the this is are in with there where of image aerial view satellite overhead seen from above showing top down ' +
  'running stretching extending runs crosses scene stretches lies located looks appears look appear visible can be';

/**
 * Every word a synthetic caption can contain (after normalisation), sorted: the vocabulary of a
 * word-level or small BPE tokenizer for the synthetic world, whichever images were drawn.
 */
export function syntheticVocabulary(): string[] {
  const phrases: string[] = [TEMPLATE_WORDS, ...NUMBER_WORDS, ...Object.keys(NAMED_COLOURS)];
  for (const table of [SCENE_NAMES, PLACE_NAMES, DIRECTION_NAMES, RELATION_NAMES, AMOUNT_NAMES, SIZE_NAMES]) for (const wordings of Object.values(table)) phrases.push(...wordings);
  for (const wordings of Object.values(OBJECT_NAMES)) for (const [singular, plural] of wordings) phrases.push(singular, plural);
  const words = new Set<string>();
  for (const phrase of phrases) for (const word of normalizeCaption(phrase, { maxWords: 1000 }).split(' ')) words.add(word);
  return [...words].sort();
}
