import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readSafetensorsHeader } from '@harma/core';
import { fixturePath } from '@harma/test-support';
import { isAdapterParameterName } from './adapter-parameter-name';

describe('isAdapterParameterName', () => {
  it('accepts the official adapter, gate and temperature names and nothing of the backbone', () => {
    const adapter = [
      'temp',
      'visual.transformer.resblocks.3.gate1',
      'visual.transformer.resblocks.3.mmadapter.gate1',
      'visual.transformer.resblocks.3.mmadapter.img_proj_down.weight',
      'visual.transformer.resblocks.3.mmadapter.multihead_attention.in_proj_weight',
      'transformer.resblocks.0.gate1',
      'transformer.resblocks.0.mmadapter.BiShareAdapterxx.l1.weight',
      'transformer.resblocks.0.mmadapter.BiShareAdapterxx.gate1',
      // CLIP-Adapter's modules on the towers.
      'visual.image_adapter.fc.0.weight',
      'text_adapter.fc.2.weight',
      // A HarMA training checkpoint's names before the loaders strip `model.` (temp has no prefix there).
      'model.visual.transformer.resblocks.3.mmadapter.img_proj_down.weight',
      'model.transformer.resblocks.0.gate1',
    ];
    const backbone = [
      'logit_scale',
      'visual.transformer.resblocks.3.mlp.c_fc.weight',
      'transformer.resblocks.0.attn.in_proj_weight',
      'visual.proj',
      'text_projection',
      'token_embedding.weight',
      'model.visual.transformer.resblocks.3.mlp.c_fc.weight',
      'temperature_scale',
      // A parameter merely named like an adapter is not inside one.
      'adapter',
      'visual.adapter_scale',
    ];
    for (const name of adapter) expect(isAdapterParameterName(name), name).toBe(true);
    for (const name of backbone) expect(isAdapterParameterName(name), name).toBe(false);
  });

  it.each(['tiny-gelu', 'tiny-quickgelu'])("splits the golden %s weights exactly into the reference's trainable names and the backbone", async (fixture) => {
    const config = JSON.parse(readFileSync(fixturePath('golden', fixture, 'config.json'), 'utf8')) as { trainable: string[] };
    const names = (await readSafetensorsHeader(fixturePath('golden', fixture, 'weights.safetensors'))).entries.map((entry) => entry.name);
    expect(config.trainable.length).toBeGreaterThan(0);
    expect(names.filter(isAdapterParameterName).sort()).toEqual([...config.trainable].sort());
  });
});
