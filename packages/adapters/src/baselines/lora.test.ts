import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom, normalTensor, useBackend } from '@harma/core';
import { PORTABLE_BACKENDS, expectAllClose } from '@harma/core/testing';
import { ToyDualEncoder, TOY_CONFIG, toyBatch } from '../../test/toy-dual-encoder';
import { attachHarma } from '../harma/attach-harma';
import { freezeForHarma } from '../harma/freeze';
import { attachLora } from './lora';

function randomizeUpdates(attachment: ReturnType<typeof attachLora>, seed: number): void {
  const rng = new SeededRandom(seed);
  for (const [name, parameter] of attachment.namedParameters()) {
    if (!name.includes('lora_B')) continue;
    const value = normalTensor(parameter.shape, rng, 0.3);
    parameter.assign(value);
    value.dispose();
  }
}

describe.each(PORTABLE_BACKENDS)('LoRA (%s)', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('equals the backbone while B is zero, and merged equals unmerged once trained', () => {
    const backbone = new ToyDualEncoder();
    const batch = toyBatch(3);
    const plainImage = backbone.encodeImage(batch.pixels, { normalize: false });
    const plainText = backbone.encodeText(batch.ids, { normalize: false });
    const inProjection = backbone.towers.text.blocks[1]?.attentionInProjection.weight;
    const original = tf.clone(inProjection?.value as tf.Tensor);

    const attachment = attachLora(backbone, { rank: 2, alpha: 4 });
    expectAllClose(backbone.encodeImage(batch.pixels, { normalize: false }), plainImage, { atol: 1e-6 }, 'fresh LoRA image');
    randomizeUpdates(attachment, 9);
    const image = backbone.encodeImage(batch.pixels, { normalize: false });
    const text = backbone.encodeText(batch.ids, { normalize: false });
    expect(Math.max(...tf.abs(tf.sub(text, plainText)).dataSync())).toBeGreaterThan(1e-3);

    attachment.merge();
    expect(attachment.merged).toBe(true);
    expectAllClose(backbone.encodeImage(batch.pixels, { normalize: false }), image, { atol: 2e-5 }, 'merged image');
    expectAllClose(backbone.encodeText(batch.ids, { normalize: false }), text, { atol: 2e-5 }, 'merged text');
    attachment.unmerge();
    expectAllClose(inProjection?.value as tf.Tensor, original, { atol: 0 }, 'weights after unmerge');
    expectAllClose(backbone.encodeText(batch.ids, { normalize: false }), text, { atol: 0 }, 'unmerged text');

    attachment.merge();
    attachment.detach();
    expectAllClose(inProjection?.value as tf.Tensor, original, { atol: 0 }, 'weights after detaching merged');
    expectAllClose(backbone.encodeText(batch.ids, { normalize: false }), plainText, { atol: 0 }, 'text after detach');
    backbone.dispose();
  });
});

describe('LoRA attachment', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('adds (alpha/rank)·B·A to the q and v rows only, as the merged weights show', () => {
    const backbone = new ToyDualEncoder();
    const attachment = attachLora(backbone, { rank: 2, alpha: 6, vision: { blocks: [0] }, text: { blocks: [] } });
    randomizeUpdates(attachment, 3);
    const site = backbone.towers.vision.blocks[0];
    const before = site?.attentionInProjection.weight.value.arraySync() as number[][];
    attachment.merge();
    const after = site?.attentionInProjection.weight.value.arraySync() as number[][];
    const matrix = (name: string): number[][] => backbone.module.parameter(`image_encoder.layers.0.lora.${name}.weight`).value.arraySync() as number[][];
    const width = TOY_CONFIG.visionWidth;
    for (const [target, offset] of [['q', 0], ['v', 2 * width]] as const) {
      const a = matrix(`${target}.lora_A`);
      const b = matrix(`${target}.lora_B`);
      for (let row = 0; row < width; row++) {
        for (let col = 0; col < width; col++) {
          let update = 0;
          for (let r = 0; r < 2; r++) update += (b[row]?.[r] as number) * (a[r]?.[col] as number);
          expect(after[offset + row]?.[col]).toBeCloseTo((before[offset + row]?.[col] as number) + 3 * update, 5);
          // k rows are untouched.
          expect(after[width + row]?.[col]).toBe(before[width + row]?.[col]);
        }
      }
    }
    attachment.detach();
    backbone.dispose();
  });

  it('counts rank·width·2 per target and block, coexists with HarMA, and trains under freezeForHarma', () => {
    const backbone = new ToyDualEncoder();
    const base = backbone.module.countParameters().total;
    const lora = attachLora(backbone, { rank: 4 });
    const { visionWidth, textWidth, visionLayers, textLayers } = TOY_CONFIG;
    const expected = 2 * 2 * 4 * (visionWidth * visionLayers + textWidth * textLayers) + 1;
    expect(lora.countParameters().added).toBe(expected);
    expect(lora.countParameters().total).toBe(base + expected);
    lora.freeze();
    expect(backbone.module.countParameters().trainable).toBe(expected);

    const harma = attachHarma(backbone, { vision: { bottleneck: 8, heads: 2 }, text: { bottleneck: 8, heads: 2 }, bishareHeads: 2 });
    expect(harma.temperature).toBe(lora.temperature);
    const both = freezeForHarma(backbone);
    expect(both.trainable).toBe(expected + harma.countParameters().added - 1);
    harma.detach();
    expect(backbone.module.child('temp')).toBe(lora.temperature);
    lora.detach();
    expect(backbone.module.child('temp')).toBeUndefined();
    expect(backbone.module.countParameters().total).toBe(base);
    backbone.dispose();
  });

  it('rejects bad options by field and a second LoRA on the same blocks', () => {
    const backbone = new ToyDualEncoder();
    expect(() => attachLora(backbone, { rank: 0 })).toThrow(/rank/);
    expect(() => attachLora(backbone, { targets: ['o' as never] })).toThrow(/targets/);
    expect(() => attachLora(backbone, { text: { blocks: [5] } })).toThrow(/text\.blocks\[0\] = 5/);
    attachLora(backbone);
    expect(() => attachLora(backbone)).toThrow(/already carries a lora attachment/);
    backbone.dispose();
  });
});
