import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '@harma/core';
import { ToyDualEncoder } from '../../test/toy-dual-encoder';
import { attachHarma } from './attach-harma';
import { freezeForHarma } from './freeze';

describe('freezing as the paper trains', () => {
  beforeAll(async () => {
    await useBackend('cpu');
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
