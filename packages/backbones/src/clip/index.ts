// The CLIP area of @harma/backbones: configs, the open_clip-layout model, loading helpers, registry.
export { clipConfigSchema, validateClipConfig, visionTokens, mlpWidth } from './config';
export type { ClipConfig, ClipVisionConfig, ClipTextConfig } from './config';
export { parseOpenClipConfig, toOpenClipConfig } from './open-clip-config';
export { loadModelConfig, listModelConfigs, modelConfigsDirectory, SHIPPED_MODEL_CONFIG_NAMES } from './model-configs';
export type { ShippedModelConfigName } from './model-configs';
export { ClipModel, createClip, clipPreprocessSpec, CLIP_MEAN, CLIP_STD } from './clip-model';
export type { ClipForwardOptions, ClipForwardResult, CreateClipOptions } from './clip-model';
export { ClipModule, endOfTextSelector } from './clip-module';
export { VisionTransformer, PatchEmbedding } from './vision-transformer';
export { ClipTransformer } from './transformer';
export { ResidualAttentionBlock, ClipMlp } from './residual-block';
export type { BlockInit, ResidualBlockOptions } from './residual-block';
export { ClipBlockSite, ClipTowerSite } from './tower-sites';
export { loadClip, loadClipStateDict } from './load-clip';
export type { LoadClipOptions, LoadedClip, ClipStateDictResult, NameFilter } from './load-clip';
export { registerClipBackbones, clipBackboneFactory } from './register';
export type { ClipBackboneOptions } from './register';
