// An example backbone plug-in for HarMA.js: a dual encoder that is not CLIP, registered by name.
export { ConvDualEncoder, CONV_DUAL_ENCODER_KIND } from './conv-dual-encoder';
export type { ConvDualEncoderOptions } from './conv-dual-encoder';
export {
  convDualEncoderConfigSchema,
  parseConvDualEncoderConfig,
  resolveConvDualEncoderConfig,
  visionTokens,
  CONV_DUAL_ENCODER_PRESETS,
} from './config';
export type { ConvDualEncoderConfig, ConvDualEncoderPreset } from './config';
export { convDualEncoderFactory, wordTokenizerLoader, registerConvDualEncoder, registerConvDualEncoderOnce } from './register';
export type { ConvDualEncoderFactoryOptions, ConvDualEncoderRegistries, WeightNameFilter } from './register';
export { WordTokenizer, buildWordVocabulary, writeWordVocabulary, splitWords, WORD_TOKENIZER_KIND, WORD_VOCABULARY_FILE, WORD_IDS } from './word-tokenizer';
export type { BuildWordVocabularyOptions } from './word-tokenizer';
export { PatchConv } from './patch-conv';
export { EncoderBlock } from './encoder-block';
export { VisionTower, TextTower } from './towers';
