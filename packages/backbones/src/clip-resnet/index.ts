// The CLIP ResNet area of @harma/backbones: open_clip's ModifiedResNet image tower with CLIP's text
// tower, its configs, loading and the `clip-resnet` registry entry.
export { clipResNetConfigSchema, validateClipResNetConfig, resNetFeatureWidth, resNetGridSize } from './config';
export type { ClipResNetConfig, ClipResNetVisionConfig } from './config';
export { parseOpenClipResNetConfig, toOpenClipResNetConfig } from './open-clip-resnet-config';
export { loadResNetModelConfig, SHIPPED_RESNET_CONFIG_NAMES } from './resnet-model-configs';
export type { ShippedResNetConfigName } from './resnet-model-configs';
export { ClipResNetModel, createClipResNet } from './clip-resnet-model';
export type { ClipResNetForwardOptions, ClipResNetImageResult, CreateClipResNetOptions } from './clip-resnet-model';
export { ClipResNetModule } from './clip-resnet-module';
export { ModifiedResNet, CHUNK_BYTES } from './modified-resnet';
export type { ModifiedResNetResult } from './modified-resnet';
export { Bottleneck, Downsample, BOTTLENECK_EXPANSION } from './bottleneck';
export type { ConvBatchNorm } from './conv-batch-norm';
export { AttentionPool2d } from './attention-pool';
export { ResNetTowerSite } from './resnet-tower-site';
export { loadClipResNet } from './load-clip-resnet';
export type { LoadClipResNetOptions } from './load-clip-resnet';
export { registerClipResNetBackbones, clipResNetBackboneFactory, CLIP_RESNET_KIND } from './register-resnet';
export type { ClipResNetBackboneOptions } from './register-resnet';
