import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Parameter, loadSafetensors, useBackend } from '@harma/core';
import { createClip, type ClipModel } from './clip-model';
import { loadClipStateDict } from './load-clip';
import { goldenAdapterNames, goldenClipConfig, goldenFile } from '../../test/golden-config';

let model: ClipModel;
let pixels: tf.Tensor;
let ids: tf.Tensor;

beforeAll(async () => {
  await useBackend('cpu');
  const weights = (await loadSafetensors(goldenFile('tiny-gelu', 'weights.safetensors'))).tensors;
  model = createClip(goldenClipConfig('tiny-gelu'));
  loadClipStateDict(model, weights, { ignore: goldenAdapterNames('tiny-gelu') });
  for (const tensor of weights.values()) tensor.dispose();
  const inputs = (await loadSafetensors(goldenFile('tiny-gelu', 'inputs.safetensors'))).tensors;
  pixels = inputs.get('images') as tf.Tensor;
  ids = inputs.get('text') as tf.Tensor;
  inputs.get('idx')?.dispose();
});

afterAll(() => {
  model.dispose();
  tf.dispose([pixels, ids]);
});

function outputs(): { image: Float32Array; text: Float32Array } {
  return tf.tidy(() => ({
    image: model.encodeImage(pixels).dataSync() as Float32Array,
    text: model.encodeText(ids).dataSync() as Float32Array,
  }));
}

describe('CLIP blocks as plug-in sites', () => {
  it('describes every block of both towers: count, width, heads, tokens, path', () => {
    const { vision, text } = model.towers;
    expect(model.kind).toBe('clip');
    expect(model.specificationVersion).toBe('v2');
    expect(model.embedDim).toBe(32);
    expect(model.contextLength).toBe(16);
    expect(model.preprocess).toEqual({
      size: 32,
      mean: [0.48145466, 0.4578275, 0.40821073],
      std: [0.26862954, 0.26130258, 0.27577711],
      resize: 'squash',
      interpolation: 'bicubic',
    });
    expect([vision.name, vision.width, vision.embedDim, vision.path, vision.module]).toEqual(['vision', 64, 32, 'visual', model.module.get('visual')]);
    expect([text.name, text.width, text.embedDim, text.path, text.module]).toEqual(['text', 48, 32, '', model.module]);
    expect(vision.blocks.map((b) => [b.tower, b.index, b.width, b.heads, b.tokens, b.layout, b.path])).toEqual([
      ['vision', 0, 64, 4, 17, 'batch-first', 'visual.transformer.resblocks.0'],
      ['vision', 1, 64, 4, 17, 'batch-first', 'visual.transformer.resblocks.1'],
    ]);
    expect(text.blocks.map((b) => [b.tower, b.index, b.width, b.heads, b.tokens, b.path])).toEqual([
      ['text', 0, 48, 4, 16, 'transformer.resblocks.0'],
      ['text', 1, 48, 4, 16, 'transformer.resblocks.1'],
    ]);
    for (const site of [...vision.blocks, ...text.blocks]) {
      expect(model.module.get(site.path)).toBe(site.block);
      expect(site.attentionInProjection.weight).toBe(model.module.parameter(`${site.path}.attn.in_proj_weight`));
      expect(site.attentionInProjection.bias).toBe(model.module.parameter(`${site.path}.attn.in_proj_bias`));
    }
  });

  it('an MLP transform sees [batch, tokens, width], changes only its tower, and clearing it restores the output exactly', () => {
    const before = outputs();
    const seen: number[][] = [];
    const site = model.towers.text.blocks[0];
    site?.setMlpTransform((m) => {
      seen.push(m.shape);
      return tf.mul(m, 0.5);
    });
    const changed = outputs();
    expect(seen).toEqual([[6, 16, 48]]);
    expect(tf.util.arraysEqual(changed.text, before.text)).toBe(false);
    expect(tf.util.arraysEqual(changed.image, before.image)).toBe(true);
    site?.setMlpTransform(undefined);
    const restored = outputs();
    expect(tf.util.arraysEqual(restored.text, before.text)).toBe(true);
  });

  it('an MLP transform is added to the residual stream: returning zeros removes the MLP branch', () => {
    const site = model.towers.vision.blocks[1];
    const { hiddenStates } = model.forwardImage(pixels, { hiddenStates: true });
    site?.setMlpTransform((m) => tf.zerosLike(m));
    const withoutMlp = model.forwardImage(pixels, { hiddenStates: true });
    site?.setMlpTransform(undefined);
    // Block 1 output without its MLP = x + attn(ln_1(x)) computed from block 0's output.
    const block = model.towers.vision.blocks[1]?.block;
    if (!block) throw new Error('no vision block 1');
    const expected = tf.tidy(() => tf.add(hiddenStates[0] as tf.Tensor, block.attn.forward(block.ln1.forward(hiddenStates[0] as tf.Tensor))));
    expect(Array.from(withoutMlp.hiddenStates[1]?.dataSync() ?? [])).toEqual(Array.from(expected.dataSync()));
    tf.dispose([...hiddenStates, ...withoutMlp.hiddenStates, withoutMlp.features, expected]);
  });

  it('an attention projection delta is wired to the block attention, and clearing it restores the output', () => {
    const before = outputs();
    const site = model.towers.vision.blocks[0];
    const inputs: number[][] = [];
    site?.setAttentionProjectionDelta((x) => {
      inputs.push(x.shape);
      return { v: tf.mul(x, 0.1) };
    });
    const changed = outputs();
    expect(inputs).toEqual([[6, 17, 64]]);
    expect(tf.util.arraysEqual(changed.image, before.image)).toBe(false);
    site?.setAttentionProjectionDelta(undefined);
    expect(tf.util.arraysEqual(outputs().image, before.image)).toBe(true);
  });

  it('a tower output transform acts on the projected features before normalisation', () => {
    const raw = model.encodeImage(pixels, { normalize: false });
    model.towers.vision.setOutputTransform((features) => tf.add(features, 1));
    const shifted = model.encodeImage(pixels, { normalize: false });
    expectEqual(shifted, tf.add(raw, 1));
    const normalized = model.encodeImage(pixels);
    const norms = tf.sqrt(tf.sum(tf.square(normalized), 1)).dataSync();
    norms.forEach((n) => expect(n).toBeCloseTo(1, 5));
    model.towers.vision.setOutputTransform(undefined);
    expectEqual(model.encodeImage(pixels, { normalize: false }), raw);
    model.towers.vision.setOutputTransform(() => tf.zeros([1, 1]));
    expect(() => model.encodeImage(pixels)).toThrow(/vision output transform returned shape \[1,1\], expected \[6,32\]/);
    model.towers.vision.setOutputTransform(undefined);
    tf.dispose([raw, shifted, normalized]);
  });

  it('parameters an attachment registers on a block are named under the block path', () => {
    const site = model.towers.text.blocks[1];
    const gate = new Parameter(tf.scalar(0.6));
    site?.block.register('gate1', gate);
    expect(model.module.stateDict().get('transformer.resblocks.1.gate1')).toBe(gate.value);
    site?.block.unregister('gate1');
    gate.dispose();
  });
});

function expectEqual(actual: tf.Tensor, expected: tf.Tensor): void {
  expect(Array.from(actual.dataSync())).toEqual(Array.from(expected.dataSync()));
}
