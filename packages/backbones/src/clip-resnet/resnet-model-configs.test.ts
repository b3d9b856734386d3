import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '@harma/core';
import { harmaParameterCount, openClipParameterCount } from '@harma/test-support';
import { modelConfigKind, modelConfigsDirectory } from '../clip/model-configs';
import { createClipResNet } from './clip-resnet-model';
import { parseOpenClipResNetConfig, toOpenClipResNetConfig } from './open-clip-resnet-config';
import { SHIPPED_RESNET_CONFIG_NAMES, loadResNetModelConfig } from './resnet-model-configs';

/**
 * open_clip's published sizes, `docs/model_profile.csv` (mlfoundations/open_clip 89fb801f):
 * round(parameters / 1e6, 2) of the whole model, of `visual` and of the text tower.
 */
const OPEN_CLIP_PROFILE: Record<string, [total: number, vision: number, text: number]> = {
  RN50: [102.01, 38.32, 63.69],
  RN101: [119.69, 56.26, 63.43],
  RN50x4: [178.3, 87.14, 91.16],
  RN50x16: [290.98, 167.33, 123.65],
  RN50x64: [623.26, 420.38, 202.88],
};

type OpenClipJson = { vision_cfg: { layers: number[]; width: number; image_size: number }; text_cfg: Record<string, number>; quick_gelu?: boolean };

/** The shipped file as open_clip's JSON, not through the parser under test. */
function rawConfig(name: string): OpenClipJson {
  return JSON.parse(readFileSync(path.join(modelConfigsDirectory(), `${name}.json`), 'utf8')) as OpenClipJson;
}

const inMillions = (x: number): number => Math.round(x / 1e4) / 100;

describe('shipped CLIP ResNet configs', () => {
  it.each([...SHIPPED_RESNET_CONFIG_NAMES])("%s: open_clip's published size, read as open_clip reads it", (name) => {
    const json = rawConfig(name);
    expect(modelConfigKind(name)).toBe('clip-resnet');
    const expected = openClipParameterCount(json);
    expect([inMillions(expected.total), inMillions(expected.vision), inMillions(expected.text)]).toEqual(OPEN_CLIP_PROFILE[name.replace(/-quickgelu$/, '')]);
    const config = loadResNetModelConfig(name);
    expect(config.vision).toEqual({ imageSize: json.vision_cfg.image_size, layers: json.vision_cfg.layers, width: json.vision_cfg.width, heads: (json.vision_cfg.width * 32) / 64 });
    expect(config.activation).toBe(json.quick_gelu === true ? 'quick_gelu' : 'gelu');
    expect(config.batchNorm).toEqual({ eps: 1e-5, momentum: 0.1 });
    expect(openClipParameterCount(toOpenClipResNetConfig(config))).toEqual(expected);
    expect(parseOpenClipResNetConfig(toOpenClipResNetConfig(config))).toEqual(config);
  });

  it('RN50 with HarMA: 2,771,749 trainable (text tower and temp) of 104,778,886', () => {
    const json = rawConfig('RN50');
    expect(harmaParameterCount(json)).toBe(2_771_749);
    expect(openClipParameterCount(json).total + harmaParameterCount(json)).toBe(104_778_886);
  });

  it('refuses what is not a ModifiedResNet config, naming the field', () => {
    expect(() => loadResNetModelConfig('ViT-B-32')).toThrow(/ViT-B-32\.json: vision_cfg\.layers is 12, not a list of blocks per stage: a ViT, the clip backbone kind/);
    expect(() => loadResNetModelConfig('RN49')).toThrow(/unknown model config 'RN49'; shipped: RN50, RN50-quickgelu, RN101/);
    const rn50 = rawConfig('RN50');
    expect(() => parseOpenClipResNetConfig({ ...rn50, vision_cfg: { ...rn50.vision_cfg, layers: [3, 4, 6] } }, 'x.json')).toThrow(/x\.json: invalid CLIP ResNet config — vision\.layers/);
    expect(() => parseOpenClipResNetConfig({ ...rn50, vision_cfg: { ...rn50.vision_cfg, image_size: 200 } }, 'x.json')).toThrow(/imageSize 200 is not a multiple of 32/);
    expect(() => parseOpenClipResNetConfig({ ...rn50, vision_cfg: { ...rn50.vision_cfg, head_width: 48 } }, 'x.json')).toThrow(/feature width 2048 .* is not a multiple of head_width 48/);
  });
});

// Every width, head count and grid of each shipped config, built with one Bottleneck per stage and
// one text block (zeros, cpu): the blocks of a stage differ only by the first's shortcut, and the
// full depths are counted by @harma/trainer's `harma info` test, one process per config.
describe('every shipped CLIP ResNet config builds the layers open_clip builds (one block per stage)', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it.each([...SHIPPED_RESNET_CONFIG_NAMES])('%s', (name) => {
    const json = rawConfig(name);
    const small = { ...json, vision_cfg: { ...json.vision_cfg, layers: [1, 1, 1, 1] }, text_cfg: { ...json.text_cfg, layers: 1 } };
    const config = loadResNetModelConfig(name);
    const model = createClipResNet({ ...config, vision: { ...config.vision, layers: [1, 1, 1, 1] }, text: { ...config.text, layers: 1 } });
    try {
      const sizes = model.module.namedParameters().map(([parameter, value]) => [parameter, value.size] as const);
      const vision = sizes.filter(([parameter]) => parameter.startsWith('visual.')).reduce((total, [, size]) => total + size, 0);
      expect({ vision, total: model.module.countParameters().total }).toEqual({ vision: openClipParameterCount(small).vision, total: openClipParameterCount(small).total });
      expect(model.module.parameter('visual.attnpool.positional_embedding').shape).toEqual([(json.vision_cfg.image_size / 32) ** 2 + 1, json.vision_cfg.width * 32]);
    } finally {
      model.dispose();
    }
  });
});
