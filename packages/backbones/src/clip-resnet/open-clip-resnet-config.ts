import { openClipTextTower, readOpenClipJson, squareImageSize, toOpenClipTextTower } from '../clip/open-clip-config';
import { validateClipResNetConfig, type ClipResNetConfig } from './config';

/** PyTorch's `nn.BatchNorm2d` defaults, which open_clip's ModifiedResNet keeps. */
const BATCH_NORM_DEFAULTS = { eps: 1e-5, momentum: 0.1 };

/**
 * Read an open_clip model config whose image tower is a `ModifiedResNet` (`vision_cfg.layers` a list
 * of four block counts: `RN50.json`, `RN50x64-quickgelu.json`, …), with open_clip's defaults:
 * heads = width·32 // head_width (head_width 64), `patch_size` ignored (null in open_clip's files).
 * The text tower is read as for a ViT config; errors name `source` and the field.
 */
export function parseOpenClipResNetConfig(json: unknown, source = 'open_clip config'): ClipResNetConfig {
  const parsed = readOpenClipJson(json, source);
  const { embed_dim: embedDim, vision_cfg: vision } = parsed;
  if (!Array.isArray(vision.layers)) {
    throw new Error(`${source}: vision_cfg.layers is ${JSON.stringify(vision.layers)}, not a list of blocks per stage: a ViT, the clip backbone kind (parseOpenClipConfig, loadModelConfig)`);
  }
  const features = vision.width * 32;
  if (features % vision.head_width !== 0) {
    throw new Error(`${source}: the ResNet's feature width ${features} (vision_cfg.width · 32) is not a multiple of head_width ${vision.head_width}`);
  }
  return validateClipResNetConfig(
    {
      embedDim,
      vision: { imageSize: squareImageSize(vision, source), layers: vision.layers, width: vision.width, heads: features / vision.head_width },
      ...openClipTextTower(parsed),
      batchNorm: BATCH_NORM_DEFAULTS,
    },
    source,
  );
}

/** The open_clip JSON of a CLIP ResNet config (inverse of `parseOpenClipResNetConfig`). */
export function toOpenClipResNetConfig(config: ClipResNetConfig): Record<string, unknown> {
  const valid = validateClipResNetConfig(config);
  const { vision } = valid;
  if (valid.batchNorm.eps !== BATCH_NORM_DEFAULTS.eps || valid.batchNorm.momentum !== BATCH_NORM_DEFAULTS.momentum) {
    throw new Error(`open_clip's configs have no BatchNorm fields: eps ${valid.batchNorm.eps} and momentum ${valid.batchNorm.momentum} are not PyTorch's defaults`);
  }
  const { quick_gelu: quickGelu, text_cfg: textCfg } = toOpenClipTextTower(valid);
  return {
    embed_dim: valid.embedDim,
    ...(quickGelu ? { quick_gelu: quickGelu } : {}),
    vision_cfg: { image_size: vision.imageSize, layers: [...vision.layers], width: vision.width, head_width: (vision.width * 32) / vision.heads, patch_size: null },
    text_cfg: textCfg,
  };
}
