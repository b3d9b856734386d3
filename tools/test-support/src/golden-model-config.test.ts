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
  });

  it('names the file and the field at fault', () => {
    const config = read('tiny-gelu');
    const adapter = config.adapter as Record<string, unknown>;
    expect(() => parseGoldenModelConfig({ ...config, adapter: { ...adapter, share_width: 3 } }, 'x/config.json')).toThrow('x/config.json: adapter.share_width: share_width is not bottleneck/2');
    expect(() => parseGoldenModelConfig({ ...config, adapter: { ...adapter, text_bishare: false, vision_bishare: true } }, 'x')).toThrow(/adapter\.vision_bishare: BiShare in the vision tower alone/);
    expect(() => parseGoldenModelConfig({ ...config, embed_dim: 0 }, 'x')).toThrow(/x: embed_dim: Number must be greater than 0/);
  });
});
