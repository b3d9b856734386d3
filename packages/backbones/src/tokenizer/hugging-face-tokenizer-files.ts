import { decoderOf, type BpeVocabulary } from './vocabulary';
import { serializeHuggingFaceVocabulary } from './vocabulary-files';

/** Hugging Face's spelling of CLIP's special tokens. */
const START = '<|startoftext|>';
const END = '<|endoftext|>';

/** CLIP's pre-token pattern (open_clip's, special tokens in Hugging Face's spelling), as a tokenizer.json regex. */
const CLIP_SPLIT_PATTERN = "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";

/** The token files of a Hugging Face CLIP model folder, by file name, as text. */
export type HuggingFaceTokenizerFiles = Record<'tokenizer.json' | 'tokenizer_config.json' | 'special_tokens_map.json' | 'vocab.json' | 'merges.txt', string>;

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * The files transformers and transformers.js read a CLIP tokenizer from, for a BPE vocabulary and
 * a context length: `tokenizer.json` (NFC + whitespace + lower-case normaliser, CLIP's split
 * pattern and byte-level pre-tokenizer, BPE with the `</w>` word-end suffix, start and end tokens
 * added around every caption), `tokenizer_config.json` (`CLIPTokenizer`, `model_max_length` = the
 * context length, the pad token = the token with id 0, since HarMA's text tower is fed ids zero
 * padded to the context length), `special_tokens_map.json`, and the `vocab.json` + `merges.txt`
 * pair. `tokenizer(texts, { padding: 'max_length', truncation: true })` then gives the ids this
 * package's `ClipTokenizer` gives (ftfy's text repair aside, which only changes malformed text).
 */
export function huggingFaceTokenizerFiles(vocabulary: BpeVocabulary, contextLength: number): HuggingFaceTokenizerFiles {
  const { vocabJson, mergesTxt } = serializeHuggingFaceVocabulary(vocabulary);
  const padToken = decoderOf(vocabulary).get(0);
  if (padToken === undefined) throw new Error(`${vocabulary.source}: no token has id 0, the padding id HarMA.js feeds the text tower`);
  const special = (content: string, id: number): Record<string, unknown> => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true });
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(START, vocabulary.startOfTextId), special(END, vocabulary.endOfTextId)],
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'NFC' }, { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }, { type: 'Lowercase' }],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: CLIP_SPLIT_PATTERN }, behavior: 'Removed', invert: true },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: { type: 'RobertaProcessing', sep: [END, vocabulary.endOfTextId], cls: [START, vocabulary.startOfTextId], trim_offsets: false, add_prefix_space: false },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: END,
      continuing_subword_prefix: '',
      end_of_word_suffix: '</w>',
      fuse_unk: false,
      byte_fallback: false,
      vocab: JSON.parse(vocabJson) as Record<string, number>,
      merges: vocabulary.merges.map(([a, b]) => `${a} ${b}`),
    },
  };
  const specialTokens = { bos_token: START, eos_token: END, pad_token: padToken, unk_token: END };
  const config = {
    ...specialTokens,
    add_prefix_space: false,
    clean_up_tokenization_spaces: true,
    do_lower_case: true,
    errors: 'replace',
    model_max_length: contextLength,
    tokenizer_class: 'CLIPTokenizer',
  };
  return {
    'tokenizer.json': json(tokenizer),
    'tokenizer_config.json': json(config),
    'special_tokens_map.json': json(specialTokens),
    'vocab.json': vocabJson,
    'merges.txt': mergesTxt,
  };
}
