import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '@harma/core';
import { openClipParameterCount } from '@harma/test-support';
import { createClip } from './clip-model';
import { mlpWidth } from './config';
import { SHIPPED_MODEL_CONFIG_NAMES, listModelConfigs, loadModelConfig, modelConfigKind, modelConfigsDirectory } from './model-configs';
import { SHIPPED_RESNET_CONFIG_NAMES } from '../clip-resnet/resnet-model-configs';
import { toOpenClipConfig } from './open-clip-config';

/**
 * open_clip's published sizes, `docs/model_profile.csv` (mlfoundations/open_clip 89fb801f):
 * round(parameters / 1e6, 2) of the whole model, of `visual` and of the text tower.
 */
const OPEN_CLIP_PROFILE: Record<string, [total: number, vision: number, text: number]> = {
  'ViT-S-32': [63.09, 22.64, 40.44],
  'ViT-S-16': [62.26, 21.81, 40.44],
  'ViT-M-32': [103.12, 39.69, 63.43],
  'ViT-M-16': [102.02, 38.59, 63.43],
  'ViT-B-32': [151.28, 87.85, 63.43],
  'ViT-B-32-256': [151.29, 87.86, 63.43],
  'ViT-B-16': [149.62, 86.19, 63.43],
  'ViT-B-16-plus-240': [208.38, 117.21, 91.16],
  'ViT-L-14': [427.62, 303.97, 123.65],
  'ViT-L-14-280': [427.76, 304.11, 123.65],
  'ViT-L-14-336': [427.94, 304.29, 123.65],
  'ViT-L-16': [427.74, 304.09, 123.65],
  'ViT-L-16-320': [427.95, 304.3, 123.65],
  'ViT-H-14': [986.11, 632.08, 354.03],
  'ViT-H-14-378-quickgelu': [986.71, 632.68, 354.03],
  'ViT-H-16': [986.26, 632.23, 354.03],
  'ViT-g-14': [1366.68, 1012.65, 354.03],
  'ViT-bigG-14': [2539.57, 1844.91, 694.66],
};

/** A config's profile row; QuickGELU has no parameters, so a `-quickgelu` twin's row is the same. */
function published(name: string): [number, number, number] | undefined {
  const twin = name.endsWith('-quickgelu') ? name.slice(0, -'-quickgelu'.length) : `${name}-quickgelu`;
  return OPEN_CLIP_PROFILE[name] ?? OPEN_CLIP_PROFILE[twin];
}

/** The shipped file as open_clip's JSON, not through the parser under test. */
function rawConfig(name: string): { vision_cfg: Record<string, number>; text_cfg: Record<string, number>; quick_gelu?: boolean } {
  return JSON.parse(readFileSync(path.join(modelConfigsDirectory(), `${name}.json`), 'utf8')) as ReturnType<typeof rawConfig>;
}

/** `x` in millions at the profile's rounding (Python's round(x, 2); no shipped size sits on a tie). */
const inMillions = (x: number): number => Math.round(x / 1e4) / 100;

describe('shipped model configs', () => {
  it('the configs folder holds exactly SHIPPED_MODEL_CONFIG_NAMES and SHIPPED_RESNET_CONFIG_NAMES', () => {
    expect(listModelConfigs()).toEqual([...SHIPPED_MODEL_CONFIG_NAMES, ...SHIPPED_RESNET_CONFIG_NAMES].sort());
    expect(SHIPPED_MODEL_CONFIG_NAMES.map(modelConfigKind)).toEqual(SHIPPED_MODEL_CONFIG_NAMES.map(() => 'clip'));
    expect(modelConfigKind('absent')).toBeUndefined();
  });

  it("reads head_width and open_clip's non-integer mlp_ratio as open_clip does", () => {
    expect(loadModelConfig('ViT-H-14').vision).toEqual({ imageSize: 224, patchSize: 14, width: 1280, layers: 32, heads: 16, mlpRatio: 4 });
    expect(loadModelConfig('ViT-g-14').vision).toMatchObject({ width: 1408, heads: 16, mlpRatio: 4.3637 });
    expect(loadModelConfig('ViT-bigG-14').text).toEqual({ contextLength: 77, vocabSize: 49408, width: 1280, layers: 32, heads: 20, mlpRatio: 4 });
    expect(loadModelConfig('ViT-L-14-336-quickgelu')).toMatchObject({ activation: 'quick_gelu', vision: { imageSize: 336, patchSize: 14 } });
    expect(loadModelConfig('ViT-H-14-378').activation).toBe('gelu');
  });
});

describe('every shipped config, read without building', () => {
  it.each([...SHIPPED_MODEL_CONFIG_NAMES])("%s: open_clip's published size, and every value that sizes the model read as open_clip reads it", (name) => {
    const json = rawConfig(name);
    const expected = openClipParameterCount(json);
    const profile = published(name);
    expect(profile, `${name} in open_clip's model_profile.csv`).toBeDefined();
    expect([inMillions(expected.total), inMillions(expected.vision), inMillions(expected.text)]).toEqual(profile);

    const config = loadModelConfig(name);
    expect(openClipParameterCount(toOpenClipConfig(config))).toEqual(expected);
    // Heads from head_width (default 64), the MLP width int(width · mlp_ratio), the activation.
    const { width, head_width: headWidth = 64, mlp_ratio: mlpRatio = 4 } = json.vision_cfg;
    expect(config.vision.heads).toBe(width! / headWidth);
    expect(config.text.heads).toBe(json.text_cfg.heads ?? 8);
    expect(mlpWidth(config.vision)).toBe(Math.floor(width! * mlpRatio));
    expect(config.activation).toBe(json.quick_gelu === true ? 'quick_gelu' : 'gelu');
  });
});

// Every width, head count, MLP width, patch and image size of each shipped config, built with one
// block per tower: the blocks of a tower are identical, and the full depths are counted in
// @harma/trainer's `harma info` test, one process per config (a full ViT-bigG-14 here would leave
// gigabytes of zeros for the next build to reuse: see countFor).
describe('every shipped config builds the layers open_clip builds (one block per tower, zeros, cpu)', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it.each([...SHIPPED_MODEL_CONFIG_NAMES])('%s', (name) => {
    const json = rawConfig(name);
    const oneBlock = { ...json, vision_cfg: { ...json.vision_cfg, layers: 1 }, text_cfg: { ...json.text_cfg, layers: 1 } };
    const config = loadModelConfig(name);
    const model = createClip({ ...config, vision: { ...config.vision, layers: 1 }, text: { ...config.text, layers: 1 } });
    try {
      const sizes = model.module.namedParameters().map(([parameter, value]) => [parameter, value.size] as const);
      const sum = (keep: (parameter: string) => boolean): number => sizes.filter(([parameter]) => keep(parameter)).reduce((total, [, size]) => total + size, 0);
      const vision = sum((parameter) => parameter.startsWith('visual.'));
      const text = sum((parameter) => !parameter.startsWith('visual.') && parameter !== 'logit_scale');
      expect({ vision, text, total: model.module.countParameters().total }).toEqual(openClipParameterCount(oneBlock));
      const { width, mlp_ratio: mlpRatio = 4 } = json.vision_cfg;
      expect(model.towers.vision.blocks[0]!.heads).toBe(config.vision.heads);
      expect(model.module.parameter('visual.transformer.resblocks.0.mlp.c_fc.weight').shape).toEqual([Math.floor(width! * mlpRatio), width]);
    } finally {
      model.dispose();
    }
  });
});
