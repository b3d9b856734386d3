import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '@harma/core';
import { ToyDualEncoder } from '../../test/toy-dual-encoder';
import { attachHarma } from './attach-harma';
import { freezeForHarma, isHarmaTrainableName } from './freeze';

describe('freezing as the paper trains', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('trains adapter modules, names containing gate, and temp; nothing else', () => {
    const trains = [
      'temp',
      'visual.transformer.resblocks.3.gate1',
      'visual.transformer.resblocks.3.mmadapter.img_proj_down.weight',
      'transformer.resblocks.0.mmadapter.BiShareAdapterxx.l1.bias',
      'visual.image_adapter.fc.0.weight',
    ];
    const frozen = [
      'logit_scale',
      'visual.transformer.resblocks.3.mlp.c_fc.weight',
      'transformer.resblocks.0.attn.in_proj_weight',
      'visual.proj',
      'text_projection',
      'token_embedding.weight',
      'temperature_scale',
      // A parameter merely named like an adapter is not inside one.
      'adapter',
    ];
    for (const name of trains) expect(isHarmaTrainableName(name), name).toBe(true);
    for (const name of frozen) expect(isHarmaTrainableName(name), name).toBe(false);
  });

  it('unfreezes exactly the attachment on a backbone whose names mean nothing to the rule', () => {
    const backbone = new ToyDualEncoder();
    backbone.module.freeze();
    const attachment = attachHarma(backbone, { vision: { bottleneck: 8, heads: 2, blocks: [1] }, text: { bottleneck: 8, heads: 2, blocks: [0] }, bishareHeads: 2 });
    backbone.module.unfreeze();
    const counts = freezeForHarma(backbone);
    expect(backbone.module.trainableParameters().map(([name]) => name)).toEqual(attachment.namedParameters().map(([name]) => name));
    expect(counts).toEqual({ trainable: attachment.countParameters().added, total: backbone.module.countParameters().total });
    attachment.freeze();
    expect(backbone.module.countParameters().trainable).toBe(counts.trainable);
    backbone.dispose();
  });
});
