import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom, normalTensor, useBackend } from '@harma/core';
import { PORTABLE_BACKENDS, expectAllClose } from '@harma/core/testing';
import { ToyDualEncoder, TOY_CONFIG, toyBatch } from '../../test/toy-dual-encoder';
import { attachmentsOf } from '../attachment';
import { attachHarma } from './attach-harma';

/** Scalars of one MMadapter of the given widths, by the official layer shapes. */
function mmadapterSize(hidden: number, bottleneck: number): number {
  const attention = 3 * bottleneck * bottleneck + 3 * bottleneck + bottleneck * bottleneck + bottleneck;
  return 1 + (hidden * bottleneck + bottleneck) + (bottleneck * hidden + hidden) + attention;
}

function bishareSize(bottleneck: number): number {
  const half = bottleneck / 2;
  return 1 + (bottleneck * half + half) + (half * bottleneck + bottleneck) + (3 * half * half + 3 * half + half * half + half);
}

const encodeBoth = (backbone: ToyDualEncoder, batch: { pixels: tf.Tensor; ids: tf.Tensor }): [tf.Tensor, tf.Tensor] => [
  backbone.encodeImage(batch.pixels, { normalize: false }),
  backbone.encodeText(batch.ids, { normalize: false }),
];

describe.each(PORTABLE_BACKENDS)('attachHarma on a third-party backbone (%s)', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('leaves an untrained model equal to the plain backbone (1e-6) and detaches back to it', () => {
    const backbone = new ToyDualEncoder();
    const batch = toyBatch(3);
    const [plainImage, plainText] = encodeBoth(backbone, batch);
    const plainNames = backbone.module.namedParameters().map(([name]) => name);
    const attachment = attachHarma(backbone, { vision: { bottleneck: 8, heads: 2 }, text: { bottleneck: 8, heads: 2 }, bishareHeads: 2 });
    const [image, text] = encodeBoth(backbone, batch);
    expectAllClose(image, plainImage, { atol: 1e-6 }, 'image features with fresh adapters');
    expectAllClose(text, plainText, { atol: 1e-6 }, 'text features with fresh adapters');

    // Non-zero up-projections make the adapters visible; detaching must remove them entirely.
    const rng = new SeededRandom(5);
    for (const [name, parameter] of attachment.namedParameters()) {
      if (!name.includes('img_proj_up')) continue;
      const value = normalTensor(parameter.shape, rng, 0.5);
      parameter.assign(value);
      value.dispose();
    }
    const [adaptedImage] = encodeBoth(backbone, batch);
    expect(Math.max(...tf.abs(tf.sub(adaptedImage, plainImage)).dataSync())).toBeGreaterThan(1e-3);
    const numTensors = tf.memory().numTensors;
    attachment.detach();
    expect(attachment.attached).toBe(false);
    expect(attachmentsOf(backbone)).toEqual([]);
    expect(backbone.module.namedParameters().map(([name]) => name)).toEqual(plainNames);
    expect(tf.memory().numTensors).toBeLessThan(numTensors);
    const [afterImage, afterText] = encodeBoth(backbone, batch);
    expectAllClose(afterImage, plainImage, { atol: 0 }, 'image features after detach');
    expectAllClose(afterText, plainText, { atol: 0 }, 'text features after detach');
    attachment.detach();
    tf.dispose([plainImage, plainText, image, text, adaptedImage, afterImage, afterText, batch.pixels, batch.ids]);
    backbone.dispose();
  });

  it('keeps the tensor count flat across repeated forward passes', () => {
    const backbone = new ToyDualEncoder();
    attachHarma(backbone, { vision: { bottleneck: 8, heads: 2 }, text: { bottleneck: 8, heads: 2 }, bishareHeads: 2 });
    const batch = toyBatch(2);
    tf.dispose(encodeBoth(backbone, batch));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) tf.dispose(encodeBoth(backbone, batch));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([batch.pixels, batch.ids]);
    backbone.dispose();
  });
});

describe('attachHarma options', () => {
  let backbone: ToyDualEncoder;
  beforeAll(async () => {
    await useBackend('cpu');
  });
  afterEach(() => {
    for (const attachment of attachmentsOf(backbone)) attachment.detach();
    backbone.dispose();
  });

  it('registers official names under each block, gates at 0.6, and temp at the top level', () => {
    backbone = new ToyDualEncoder();
    const attachment = attachHarma(backbone, { vision: { bottleneck: 8, heads: 2 }, text: { bottleneck: 8, heads: 2 }, bishareHeads: 2 });
    const names = attachment.namedParameters().map(([name]) => name);
    expect(names).toContain('temp');
    expect(names).toContain('image_encoder.layers.0.gate1');
    expect(names).toContain('image_encoder.layers.1.mmadapter.img_proj_down.weight');
    expect(names).toContain('text_encoder.layers.1.mmadapter.BiShareAdapterxx.multihead_attention1.in_proj_weight');
    expect(names.some((name) => name.startsWith('image_encoder') && name.includes('BiShare'))).toBe(false);
    expect(names.filter((name) => name.endsWith('gate1'))).toHaveLength(2 * 2 + 3 * 2);
    expect(attachment.temperature.value.dataSync()[0]).toBeCloseTo(0.07, 7);
    expect(backbone.module.parameter('temp')).toBe(attachment.temperature);
    for (const [name, parameter] of attachment.namedParameters()) {
      if (name.endsWith('gate1')) expect(parameter.value.dataSync()[0]).toBeCloseTo(0.6, 7);
    }
  });

  it('counts what it adds for every BiShare placement, per-tower widths and block subsets', () => {
    const { visionWidth: vw, textWidth: tw } = TOY_CONFIG;
    const cases = [
      { options: { bishare: 'text' as const }, added: 2 * (mmadapterSize(vw, 8) + 1) + 2 * (mmadapterSize(tw, 8) + 1 + bishareSize(8)) + 1 },
      { options: { bishare: 'none' as const }, added: 2 * (mmadapterSize(vw, 8) + 1) + 2 * (mmadapterSize(tw, 8) + 1) + 1 },
      // Shared: block i of both towers holds the same BiShareAdapter, counted once.
      { options: { bishare: 'both' as const }, added: 2 * (mmadapterSize(vw, 8) + 1) + 2 * (mmadapterSize(tw, 8) + 1 + bishareSize(8)) + 1 },
      {
        options: { bishare: 'text' as const, vision: { bottleneck: 4, heads: 2, blocks: [1] }, text: { bottleneck: 8, heads: 2, blocks: [] } },
        added: mmadapterSize(vw, 4) + 1 + 1,
      },
    ];
    for (const { options, added } of cases) {
      backbone = new ToyDualEncoder();
      const base = backbone.module.countParameters().total;
      const attachment = attachHarma(backbone, { vision: { bottleneck: 8, heads: 2 }, text: { bottleneck: 8, heads: 2 }, bishareHeads: 2, ...options });
      expect(attachment.countParameters().added).toBe(added);
      expect(attachment.countParameters().total).toBe(base + added);
      attachment.detach();
      expect(backbone.module.countParameters().total).toBe(base);
      backbone.dispose();
    }
    backbone = new ToyDualEncoder();
  });

  it('shares one BiShareAdapter per block between the towers with bishare: both', () => {
    backbone = new ToyDualEncoder();
    const attachment = attachHarma(backbone, { vision: { bottleneck: 8, heads: 2 }, text: { bottleneck: 8, heads: 2 }, bishareHeads: 2, bishare: 'both' });
    const [vision0, , text0] = attachment.adapters;
    expect(vision0?.adapter.BiShareAdapterxx).toBeDefined();
    expect(vision0?.adapter.BiShareAdapterxx).toBe(text0?.adapter.BiShareAdapterxx);
    const all = attachment.namedParameters({ duplicates: true }).map(([name]) => name);
    expect(all).toContain('image_encoder.layers.0.mmadapter.BiShareAdapterxx.l1.weight');
    expect(all).toContain('text_encoder.layers.0.mmadapter.BiShareAdapterxx.l1.weight');
  });

  it('resolves options with every default and rejects bad ones, naming the field', () => {
    backbone = new ToyDualEncoder();
    expect(() => attachHarma(backbone, { vision: { blocks: [0, 2] } })).toThrow(/vision\.blocks\[1\] = 2, but the vision tower has 2 blocks/);
    expect(() => attachHarma(backbone, { text: { blocks: [1, 1] } })).toThrow(/text\.blocks\[1\] repeats block 1/);
    expect(() => attachHarma(backbone, { vision: { bottleneck: 8 }, text: { bottleneck: 4 }, bishare: 'both' })).toThrow(/must equal text\.bottleneck/);
    expect(() => attachHarma(backbone, { vision: { heads: 0 } })).toThrow(/vision\.heads/);
    expect(() => attachHarma(backbone, { bishare: 'vision' as never })).toThrow(/bishare/);
    expect(() => attachHarma(backbone, { bottleneck: 8 } as never)).toThrow(/Unrecognized key/);
    // A failed attach leaves nothing behind.
    expect(backbone.module.child('temp')).toBeUndefined();
    const attachment = attachHarma(backbone, { vision: { heads: 4 }, text: { heads: 4 }, bishareHeads: 4 });
    expect(attachment.options).toEqual({
      vision: { bottleneck: 128, heads: 4, blocks: [0, 1] },
      text: { bottleneck: 128, heads: 4, blocks: [0, 1] },
      bishare: 'text',
      bishareHeads: 4,
      gateInit: 0.6,
      temperature: 0.07,
    });
    expect(() => attachHarma(backbone)).toThrow(/already carries a harma attachment/);
    expect(backbone.towers.vision.blocks[0]?.block.child('mmadapter')).toBeDefined();
  });
});
