import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseGoldenModelConfig } from './golden-model-config';
import { fixturePath } from './repository';

const read = (name: string): Record<string, unknown> => JSON.parse(readFileSync(fixturePath('golden', name, 'config.json'), 'utf8')) as Record<string, unknown>;

describe('parseGoldenModelConfig', () => {
  it('reads both model fixtures under HarMA.js option names', () => {
    const gelu = parseGoldenModelConfig(read('tiny-gelu'));
    expect(gelu.clip).toMatchObject({ embedDim: 32, activation: 'gelu', vision: { width: 64, layers: 2 }, text: { width: 48, vocabSize: 1000 } });
    expect(gelu.harma).toEqual({ vision: { bottleneck: 16, heads: 4 }, text: { bottleneck: 16, heads: 4 }, bishare: 'text', bishareHeads: 2 });
    expect(gelu.trainable).toContain('temp');
    expect(parseGoldenModelConfig(read('tiny-quickgelu')).clip.activation).toBe('quick_gelu');
    expect(gelu.kind).toBe('clip');
  });

  it('reads the ResNet fixture as a clip-resnet config, BatchNorm settings included', () => {
    const resnet = parseGoldenModelConfig(read('tiny-rn'));
    expect(resnet).toMatchObject({
      kind: 'clip-resnet',
      clip: { embedDim: 32, vision: { imageSize: 64, layers: [1, 1, 1, 1], width: 8, heads: 4 }, activation: 'quick_gelu', batchNorm: { eps: 1e-5, momentum: 0.1 } },
      harma: { text: { bottleneck: 16, heads: 4 }, bishare: 'text', bishareHeads: 2 },
    });
    expect(resnet.trainable).toHaveLength(39);
    const config = read('tiny-rn');
    const vision = config.vision as Record<string, unknown>;
    expect(() => parseGoldenModelConfig({ ...config, vision: { ...vision, heads: 3 } }, 'rn')).toThrow('rn: vision.heads: heads is not width·32 / head_width');
    expect(() => parseGoldenModelConfig({ ...config, vision: { ...vision, layers: [1, 1, 1] } }, 'rn')).toThrow(/rn: vision\.layers/);
  });

  it('names the file and the field at fault', () => {
    const config = read('tiny-gelu');
    const adapter = config.adapter as Record<string, unknown>;
    expect(() => parseGoldenModelConfig({ ...config, adapter: { ...adapter, share_width: 3 } }, 'x/config.json')).toThrow('x/config.json: adapter.share_width: share_width is not bottleneck/2');
    expect(() => parseGoldenModelConfig({ ...config, adapter: { ...adapter, text_bishare: false, vision_bishare: true } }, 'x')).toThrow(/adapter\.vision_bishare: BiShare in the vision tower alone/);
    expect(() => parseGoldenModelConfig({ ...config, embed_dim: 0 }, 'x')).toThrow(/x: embed_dim: Number must be greater than 0/);
  });
});
