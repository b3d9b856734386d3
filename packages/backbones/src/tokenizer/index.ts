// CLIP BPE tokenizer: a bit-exact port of open_clip's SimpleTokenizer (with ftfy's text repair),
// vocabulary readers for the formats models ship with, and a BPE trainer for small vocabularies.
export { ClipTokenizer, CLIP_TOKENIZER_KIND } from './clip-tokenizer';
export { clipTokenizerLoader, registerClipTokenizer } from './register-clip-tokenizer';
export { huggingFaceTokenizerFiles } from './hugging-face-tokenizer-files';
export type { HuggingFaceTokenizerFiles } from './hugging-face-tokenizer-files';
export type { ClipTokenizerOptions } from './clip-tokenizer';
export { buildBpeVocabulary, START_OF_TEXT, END_OF_TEXT } from './vocabulary';
export type { BpeVocabulary, BpeMerge } from './vocabulary';
export {
  readBpeVocabulary,
  parseOpenClipVocabulary,
  parseHuggingFaceVocabulary,
  parseTokenizerJson,
  serializeOpenClipVocabulary,
  writeOpenClipVocabulary,
  serializeHuggingFaceVocabulary,
  VocabularyError,
  OPEN_CLIP_MAX_MERGES,
} from './vocabulary-files';
export type { VocabularySource } from './vocabulary-files';
export { trainBpeVocabulary } from './train-bpe';
export type { TrainBpeOptions } from './train-bpe';
export { cleanText } from './text-clean';
export { fixText } from './ftfy/fix-text';
export { htmlUnescape } from './ftfy/html-entities';
