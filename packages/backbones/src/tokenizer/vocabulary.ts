import { BYTE_VOCABULARY } from './bytes-to-unicode';

/** A BPE merge rule: two adjacent symbols that become one, in priority order. */
export type BpeMerge = readonly [string, string];

/** open_clip's spelling of the special tokens; Hugging Face files spell them `<|startoftext|>` / `<|endoftext|>`. */
export const START_OF_TEXT = '<start_of_text>';
export const END_OF_TEXT = '<end_of_text>';
const HF_START_OF_TEXT = '<|startoftext|>';
const HF_END_OF_TEXT = '<|endoftext|>';

/** Everything the CLIP tokenizer needs, whichever file format it came from. */
export interface BpeVocabulary {
  /** Token → id (byte characters, byte characters + `</w>`, merged symbols, special tokens). */
  readonly encoder: ReadonlyMap<string, number>;
  /** Merge rules, highest priority first. */
  readonly merges: readonly BpeMerge[];
  readonly startOfTextId: number;
  readonly endOfTextId: number;
  /** Where it was read from (file name, or a description), for error messages. */
  readonly source: string;
}

/**
 * The vocabulary open_clip's SimpleTokenizer builds from a merge list: the 256 byte characters,
 * the same with `</w>`, one token per merge, then `<start_of_text>` and `<end_of_text>`. A token
 * listed twice keeps its last id, as Python's dict does.
 */
export function buildBpeVocabulary(merges: readonly BpeMerge[], source = 'merge list'): BpeVocabulary {
  const tokens = [...BYTE_VOCABULARY, ...BYTE_VOCABULARY.map((t) => `${t}</w>`), ...merges.map(([a, b]) => a + b), START_OF_TEXT, END_OF_TEXT];
  const encoder = new Map<string, number>();
  tokens.forEach((token, id) => encoder.set(token, id));
  return { encoder, merges, startOfTextId: tokens.length - 2, endOfTextId: tokens.length - 1, source };
}

/** The id of a special token, under open_clip's or Hugging Face's spelling. */
export function specialTokenId(encoder: ReadonlyMap<string, number>, which: 'start' | 'end'): number | undefined {
  return which === 'start'
    ? (encoder.get(START_OF_TEXT) ?? encoder.get(HF_START_OF_TEXT))
    : (encoder.get(END_OF_TEXT) ?? encoder.get(HF_END_OF_TEXT));
}

/** Token by id (the inverse of `encoder`; for a duplicated token the id it kept). */
export function decoderOf(vocabulary: BpeVocabulary): Map<number, string> {
  const decoder = new Map<number, string>();
  for (const [token, id] of vocabulary.encoder) decoder.set(id, token);
  return decoder;
}
