import { describe, expect, it } from 'vitest';
import { harmaParameterCount, openClipParameterCount } from './clip-parameter-count';

// open_clip's ViT-B-32.json and ViT-L-14.json (model_configs/), as open_clip ships them.
const vitB32 = {
  embed_dim: 512,
  vision_cfg: { image_size: 224, layers: 12, width: 768, patch_size: 32 },
  text_cfg: { context_length: 77, vocab_size: 49408, width: 512, heads: 8, layers: 12 },
};
const vitL14 = {
  embed_dim: 768,
  vision_cfg: { image_size: 224, layers: 24, width: 1024, patch_size: 14 },
  text_cfg: { context_length: 77, vocab_size: 49408, width: 768, heads: 12, layers: 12 },
};

// open_clip's RN50.json and RN101.json.
const rn50 = {
  embed_dim: 1024,
  vision_cfg: { image_size: 224, layers: [3, 4, 6, 3], width: 64, patch_size: null },
  text_cfg: { context_length: 77, vocab_size: 49408, width: 512, heads: 8, layers: 12 },
};
const rn101 = { ...rn50, embed_dim: 512, vision_cfg: { ...rn50.vision_cfg, layers: [3, 4, 23, 3] } };

describe('closed-form CLIP and HarMA parameter counts', () => {
  it("give OpenAI's published CLIP sizes (logit_scale included)", () => {
    expect(openClipParameterCount(vitB32)).toEqual({ vision: 87_849_216, text: 63_428_096, total: 151_277_313 });
    expect(openClipParameterCount(vitL14).total).toBe(427_616_513);
  });

  it("give the official HarMA model's 5,934,397 trainable parameters on ViT-B/32", () => {
    expect(harmaParameterCount(vitB32)).toBe(5_934_397);
    expect(openClipParameterCount(vitB32).total + harmaParameterCount(vitB32)).toBe(157_211_710);
  });

  it("apply open_clip's defaults and int(width · mlp_ratio)", () => {
    const defaults = openClipParameterCount({ embed_dim: 512, vision_cfg: {}, text_cfg: {} });
    // vision_cfg {} is ViT-B/16 at 224 (width 768, 12 layers, patch 16); text_cfg {} is B/32's text tower.
    expect(defaults.vision).toBe(86_192_640);
    expect(defaults.text).toBe(63_428_096);
    const ratio = (mlp_ratio: number): number => openClipParameterCount({ ...vitB32, vision_cfg: { ...vitB32.vision_cfg, width: 1408, mlp_ratio } }).vision;
    // int(1408 · 4.3637) = 6144, as with mlp_ratio 6144/1408: ViT-g-14's ratio rounds down.
    expect(ratio(4.3637)).toBe(ratio(6144 / 1408));
  });

  it("give OpenAI's ResNet CLIP sizes (BatchNorm running statistics are buffers, not counted)", () => {
    expect(openClipParameterCount(rn50)).toEqual({ vision: 38_316_896, text: 63_690_240, total: 102_007_137 });
    expect(openClipParameterCount(rn101)).toEqual({ vision: 56_259_936, text: 63_428_096, total: 119_688_033 });
  });

  it('give the official HarMA on RN50: the text tower’s adapters and temp, 2,771,749 of 104,778,886', () => {
    expect(harmaParameterCount(rn50)).toBe(2_771_749);
    expect(openClipParameterCount(rn50).total + harmaParameterCount(rn50)).toBe(104_778_886);
    // The text tower is ViT-B/32's: HarMA's text share is the same.
    expect(harmaParameterCount(rn50)).toBe(harmaParameterCount({ ...vitB32, vision_cfg: { ...vitB32.vision_cfg, layers: 0 } }));
    expect(() => openClipParameterCount({ ...rn50, vision_cfg: { ...rn50.vision_cfg, layers: [3, 4, 6] } })).toThrow(/is not four block counts/);
  });

  it('refuses a config without the fields it needs', () => {
    expect(() => openClipParameterCount({ embed_dim: 512, vision_cfg: {} })).toThrow(/text_cfg is missing/);
    expect(() => openClipParameterCount({ ...vitB32, vision_cfg: { patch_size: null } })).toThrow(/patch_size is null/);
  });
});
