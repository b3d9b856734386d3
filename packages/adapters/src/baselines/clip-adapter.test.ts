import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '@harma/core';
import { expectAllClose, naiveLinear } from '@harma/core/testing';
import { ToyDualEncoder, TOY_CONFIG, toyBatch } from '../../test/toy-dual-encoder';
import { attachClipAdapter } from './clip-adapter';

describe('CLIP-Adapter', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('mixes α·ReLU(W2·ReLU(W1·f)) + (1 − α)·f into the features before normalisation', () => {
    const backbone = new ToyDualEncoder();
    const batch = toyBatch(3);
    const plain = backbone.encodeImage(batch.pixels, { normalize: false }).dataSync();
    const plainText = backbone.encodeText(batch.ids, { normalize: false });
    const attachment = attachClipAdapter(backbone, { ratio: 0.3, reduction: 2, towers: ['vision'] });
    const embed = TOY_CONFIG.embedDim;
    const w1 = backbone.module.parameter('image_encoder.image_adapter.fc.0.weight').value.dataSync();
    const w2 = backbone.module.parameter('image_encoder.image_adapter.fc.2.weight').value.dataSync();
    const hidden = naiveLinear(plain, 3, w1, embed / 2, embed).map((v) => Math.max(0, v));
    const mlp = naiveLinear(hidden, 3, w2, embed, embed / 2).map((v) => Math.max(0, v));
    const expected = Float64Array.from(plain, (f, i) => 0.3 * (mlp[i] as number) + 0.7 * f);
    expectAllClose(backbone.encodeImage(batch.pixels, { normalize: false }), expected, { atol: 1e-5 }, 'adapted image features');
    const normalized = backbone.encodeImage(batch.pixels).arraySync() as number[][];
    for (const row of normalized) expect(Math.hypot(...row)).toBeCloseTo(1, 5);
    // Only the chosen tower changes.
    expectAllClose(backbone.encodeText(batch.ids, { normalize: false }), plainText, { atol: 0 }, 'text features');
    attachment.detach();
    expectAllClose(backbone.encodeImage(batch.pixels, { normalize: false }), plain, { atol: 0 }, 'image features after detach');
    backbone.dispose();
  });

  it('counts 2·embed²/reduction per tower plus temp, and trains only those under freeze()', () => {
    const backbone = new ToyDualEncoder();
    const attachment = attachClipAdapter(backbone);
    const embed = TOY_CONFIG.embedDim;
    const added = 2 * (2 * embed * (embed / 4)) + 1;
    expect(attachment.countParameters().added).toBe(added);
    attachment.freeze();
    expect(backbone.module.trainableParameters().map(([name]) => name)).toEqual([
      'temp',
      'image_encoder.image_adapter.fc.0.weight',
      'image_encoder.image_adapter.fc.2.weight',
      'text_encoder.text_adapter.fc.0.weight',
      'text_encoder.text_adapter.fc.2.weight',
    ].sort((a, b) => order(backbone, a) - order(backbone, b)));
    expect(() => attachClipAdapter(backbone)).toThrow(/output insertion point already carries a clip-adapter/);
    expect(() => attachClipAdapter(new ToyDualEncoder(), { ratio: 2 })).toThrow(/ratio/);
    backbone.dispose();
  });
});

function order(backbone: ToyDualEncoder, name: string): number {
  return backbone.module.namedParameters().findIndex(([candidate]) => candidate === name);
}
