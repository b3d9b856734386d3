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
export { convDualEncoderFactory, registerConvDualEncoder, registerConvDualEncoderOnce } from './register';
export type { ConvDualEncoderFactoryOptions, WeightNameFilter } from './register';
export { PatchConv } from './patch-conv';
export { EncoderBlock } from './encoder-block';
export { VisionTower, TextTower } from './towers';
