import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Parameter, SeededRandom, loadSafetensors, useBackend, valueAndGradients } from '@harma/core';
import { PORTABLE_BACKENDS, expectAllClose } from '@harma/core/testing';
import { createClip, type ClipModel } from './clip-model';
import type { ClipConfig } from './config';
import { loadClipStateDict } from './load-clip';
import { PatchEmbedding } from './vision-transformer';
import { goldenAdapterNames, goldenClipConfig, goldenFile } from '../../test/golden-config';

const small: ClipConfig = {
  embedDim: 24,
  vision: { imageSize: 24, patchSize: 6, width: 32, layers: 3, heads: 4, mlpRatio: 2 },
  text: { contextLength: 10, vocabSize: 50, width: 16, layers: 2, heads: 2, mlpRatio: 4 },
  activation: 'quick_gelu',
  layerNormEps: 1e-5,
};

async function goldenModel(): Promise<ClipModel> {
  const weights = (await loadSafetensors(goldenFile('tiny-gelu', 'weights.safetensors'))).tensors;
  const model = createClip(goldenClipConfig('tiny-gelu'));
  loadClipStateDict(model, weights, { ignore: goldenAdapterNames('tiny-gelu') });
  for (const tensor of weights.values()) tensor.dispose();
  return model;
}

function std(values: ArrayLike<number>): number {
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += values[i] as number;
  mean /= values.length;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += ((values[i] as number) - mean) ** 2;
  return Math.sqrt(sum / values.length);
}

describe('CLIP forward: shapes, options, inputs', () => {
  let model: ClipModel;

  beforeAll(async () => {
    await useBackend('cpu');
    model = createClip(small, { rng: new SeededRandom(3) });
  });

  afterAll(() => model.dispose());

  it('returns features [B, embed] and, on request, batch-first states after every block', () => {
    const pixels = tf.randomNormal([2, 3, 24, 24], 0, 1, 'float32', 1);
    const ids = tf.tensor2d([[49, 3, 4, 0, 0, 0, 0, 0, 0, 0], [48, 7, 49, 0, 0, 0, 0, 0, 0, 0]], [2, 10], 'int32');
    const image = model.forwardImage(pixels, { hiddenStates: true });
    expect(image.features.shape).toEqual([2, 24]);
    expect(image.hiddenStates.map((s) => s.shape)).toEqual([[2, 17, 32], [2, 17, 32], [2, 17, 32]]);
    const text = model.forwardText(ids, { hiddenStates: true });
    expect(text.features.shape).toEqual([2, 24]);
    expect(text.hiddenStates.map((s) => s.shape)).toEqual([[2, 10, 16], [2, 10, 16]]);
    expect(model.forwardImage(pixels).hiddenStates).toEqual([]);
    tf.dispose([pixels, ids, image.features, ...image.hiddenStates, text.features, ...text.hiddenStates]);
  });

  it('normalises by default; normalize: false returns the raw features of the same direction', () => {
    const pixels = tf.randomNormal([3, 3, 24, 24], 0, 1, 'float32', 2);
    const unit = model.encodeImage(pixels);
    const raw = model.encodeImage(pixels, { normalize: false });
    const rawValues = raw.arraySync() as number[][];
    const unitValues = unit.arraySync() as number[][];
    rawValues.forEach((row, i) => {
      const norm = Math.sqrt(row.reduce((s, v) => s + v * v, 0));
      expect(norm).not.toBeCloseTo(1, 2);
      expectAllClose(unitValues[i] as number[], row.map((v) => v / norm), { atol: 1e-6 }, `row ${i}`);
    });
    tf.dispose([pixels, unit, raw]);
  });

  it('keeps the tensor count flat across repeated calls', () => {
    const pixels = tf.randomNormal([1, 3, 24, 24], 0, 1, 'float32', 4);
    const ids = tf.tensor2d([[49, 1, 2, 0, 0, 0, 0, 0, 0, 0]], [1, 10], 'int32');
    tf.dispose([model.encodeImage(pixels), model.encodeText(ids)]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const { features, hiddenStates } = model.forwardText(ids, { hiddenStates: true });
      tf.dispose([features, ...hiddenStates, model.encodeImage(pixels)]);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([pixels, ids]);
  });

  it('refuses inputs of the wrong shape, dtype or vocabulary', () => {
    const wrongSize = tf.zeros([1, 3, 32, 32]);
    expect(() => model.encodeImage(wrongSize)).toThrow(/pixels of shape \[1,3,32,32\], expected \[batch, 3, 24, 24\]/);
    const floatIds = tf.zeros([1, 10]);
    expect(() => model.encodeText(floatIds)).toThrow(/ids of dtype float32, expected int32/);
    const shortIds = tf.zeros([1, 9], 'int32');
    expect(() => model.encodeText(shortIds)).toThrow(/ids of shape \[1,9\], expected \[batch, 10\]/);
    const outside = tf.tensor2d([[1, 50, 0, 0, 0, 0, 0, 0, 0, 0]], [1, 10], 'int32');
    expect(() => model.encodeText(outside)).toThrow(/row 0, position 1 holds id 50, outside the vocabulary \[0, 50\)/);
    tf.dispose([wrongSize, floatIds, shortIds, outside]);
  });
});

describe('CLIP numerics against independent computations (cpu)', () => {
  let model: ClipModel;

  beforeAll(async () => {
    await useBackend('cpu');
    model = await goldenModel();
  });

  afterAll(() => model.dispose());

  it("takes text features at the first occurrence of the row's largest id", () => {
    // Row 0 has its end-of-text id 999 twice; row 1 is the same row with different tokens after the first 999.
    const rows = [
      [998, 5, 17, 999, 40, 999, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      [998, 5, 17, 999, 3, 999, 999, 8, 0, 0, 0, 0, 0, 0, 0, 0],
    ];
    const ids = tf.tensor2d(rows, [2, 16], 'int32');
    const { features, hiddenStates } = model.forwardText(ids, { normalize: false, hiddenStates: true });
    const last = hiddenStates[hiddenStates.length - 1] as tf.Tensor;
    // ln_final(x[row, 3]) @ text_projection in double precision, from the model's own parameters.
    const state = last.arraySync() as number[][][];
    const gamma = model.module.parameter('ln_final.weight').value.arraySync() as number[];
    const beta = model.module.parameter('ln_final.bias').value.arraySync() as number[];
    const projection = model.module.parameter('text_projection').value.arraySync() as number[][];
    const expected = [0, 1].map((row) => {
      const x = state[row]?.[3] as number[];
      const mean = x.reduce((s, v) => s + v, 0) / x.length;
      const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length;
      const normed = x.map((v, i) => ((v - mean) / Math.sqrt(variance + 1e-5)) * (gamma[i] as number) + (beta[i] as number));
      return projection[0]?.map((_, j) => normed.reduce((s, v, i) => s + v * (projection[i]?.[j] as number), 0)) as number[];
    });
    expectAllClose(features, expected.flat(), { atol: 1e-5 }, 'end-of-text features');
    tf.dispose([ids, features, ...hiddenStates]);
  });

  it('computes the patch embedding as a stride-patch convolution', () => {
    const patch = new PatchEmbedding(8, 4, new SeededRandom(9));
    const pixels = tf.randomNormal([2, 3, 12, 12], 0, 1, 'float32', 5);
    const viaMatMul = patch.forward(pixels);
    // conv2d in NHWC with kernel [kh, kw, in, out], stride = kernel, flattened row by row.
    const kernel = tf.transpose(patch.weight.value, [2, 3, 1, 0]) as tf.Tensor4D;
    const conv = tf.conv2d(tf.transpose(pixels, [0, 2, 3, 1]) as tf.Tensor4D, kernel, 4, 'valid');
    expectAllClose(viaMatMul, tf.reshape(conv, [2, 9, 8]), { atol: 1e-5 }, 'patch embedding');
    tf.dispose([pixels, viaMatMul, kernel, conv]);
    patch.dispose();
  });
});

describe.each(PORTABLE_BACKENDS)('gradients flow through both towers (%s)', (backend) => {
  let model: ClipModel;

  beforeAll(async () => {
    await useBackend(backend);
    model = await goldenModel();
  });

  afterAll(() => model.dispose());

  it('reach the token embedding and a parameter of an MLP transform in the text tower', () => {
    const scale = new Parameter(tf.scalar(1.5));
    const site = model.towers.text.blocks[1];
    site?.setMlpTransform((m) => tf.mul(m, scale.value));
    const ids = tf.tensor2d([[998, 4, 9, 999, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]], [1, 16], 'int32');
    const pixels = tf.randomNormal([1, 3, 32, 32], 0, 1, 'float32', 6);
    const { value, gradients } = valueAndGradients(
      () => tf.sum(tf.mul(model.encodeText(ids), model.encodeImage(pixels))) as tf.Scalar,
      [
        ['scale', scale],
        ['token_embedding.weight', model.module.parameter('token_embedding.weight')],
        ['visual.conv1.weight', model.module.parameter('visual.conv1.weight')],
      ],
    );
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    for (const [name, gradient] of gradients) {
      const data = gradient.dataSync();
      expect(data.every(Number.isFinite), name).toBe(true);
      expect(data.some((v) => v !== 0), name).toBe(true);
    }
    // Only ids at or before the end-of-text token get a gradient: the causal mask hides the padding (id 0) from it.
    const rows = tf.sum(tf.abs(gradients.get('token_embedding.weight') as tf.Tensor), 1).dataSync();
    expect([...rows.keys()].filter((i) => (rows[i] as number) > 0).sort((a, b) => a - b)).toEqual([4, 9, 998, 999]);
    site?.setMlpTransform(undefined);
    tf.dispose([value, ids, pixels, ...gradients.values()]);
    scale.dispose();
  });
});

describe('random initialisation as open_clip', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('draws the standard deviations of open_clip\'s initialisation within 5 %, the same for the same seed', () => {
    // Every checked tensor has over 4,000 values: a sample std is then within 1.1 % (normal) of the
    // drawn one at one standard error, so 5 % fails only a wrong rule, not an unlucky draw.
    const text = { contextLength: 80, vocabSize: 2000, width: 64, layers: 2, heads: 4, mlpRatio: 4 };
    const vision = { imageSize: 60, patchSize: 6, width: 64, layers: 2, heads: 4, mlpRatio: 2 };
    const config: ClipConfig = { ...small, embedDim: 96, vision, text };
    const model = createClip(config, { rng: new SeededRandom(1) });
    const data = (name: string): Float32Array => model.module.parameter(name).value.dataSync() as Float32Array;
    const expectStd = (name: string, expected: number): void => {
      const values = data(name);
      expect(values.length, name).toBeGreaterThanOrEqual(4000);
      expect(Math.abs(std(values) / expected - 1), `${name}: std ${std(values)}, open_clip's ${expected}`).toBeLessThan(0.05);
    };
    // The text tower: open_clip's CLIP.init_parameters.
    const width = text.width;
    const projStd = width ** -0.5 * (2 * text.layers) ** -0.5;
    expectStd('token_embedding.weight', 0.02);
    expectStd('positional_embedding', 0.01);
    for (let block = 0; block < text.layers; block++) {
      expectStd(`transformer.resblocks.${block}.attn.in_proj_weight`, width ** -0.5);
      expectStd(`transformer.resblocks.${block}.attn.out_proj.weight`, projStd);
      expectStd(`transformer.resblocks.${block}.mlp.c_fc.weight`, (2 * width) ** -0.5);
      expectStd(`transformer.resblocks.${block}.mlp.c_proj.weight`, projStd);
    }
    expectStd('text_projection', width ** -0.5);
    // The image tower: VisionTransformer's scale = width^-0.5 for its embeddings and projection,
    // PyTorch's defaults elsewhere — U(±b) has std b/√3: Conv2d and Linear b = 1/√fanIn, xavier b = √(6 / (fanIn + fanOut)).
    const visionWidth = vision.width;
    expectStd('visual.conv1.weight', 1 / Math.sqrt(3 * 3 * vision.patchSize ** 2));
    expectStd('visual.positional_embedding', visionWidth ** -0.5);
    expectStd('visual.proj', visionWidth ** -0.5);
    expectStd('visual.transformer.resblocks.0.attn.in_proj_weight', Math.sqrt(6 / (visionWidth + 3 * visionWidth)) / Math.sqrt(3));
    expectStd('visual.transformer.resblocks.0.attn.out_proj.weight', 1 / Math.sqrt(3 * visionWidth));
    expectStd('visual.transformer.resblocks.0.mlp.c_fc.weight', 1 / Math.sqrt(3 * visionWidth));
    expectStd('visual.transformer.resblocks.0.mlp.c_proj.weight', 1 / Math.sqrt(3 * visionWidth * vision.mlpRatio));
    // The image tower's blocks keep PyTorch's defaults: xavier-uniform in_proj, zero in_proj bias.
    const inProj = data('visual.transformer.resblocks.0.attn.in_proj_weight');
    expect(Math.max(...inProj.map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / (visionWidth + 3 * visionWidth)));
    expect(Math.max(...data('visual.transformer.resblocks.0.attn.in_proj_bias').map(Math.abs))).toBe(0);
    expect(data('logit_scale')[0]).toBeCloseTo(Math.log(1 / 0.07), 6);
    expect(data('ln_final.weight').every((v) => v === 1)).toBe(true);
    const again = createClip(config, { rng: new SeededRandom(1) });
    const other = createClip(config, { rng: new SeededRandom(2) });
    const same = (name: string, m: ClipModel): boolean => tf.util.arraysEqual(data(name), m.module.parameter(name).value.dataSync());
    expect(same('visual.conv1.weight', again) && same('token_embedding.weight', again)).toBe(true);
    expect(same('visual.conv1.weight', other)).toBe(false);
    for (const m of [model, again, other]) m.dispose();
  });

  it('leaves no tensor behind once disposed, random or zeros', () => {
    const before = tf.memory().numTensors;
    createClip(small, { rng: new SeededRandom(5) }).dispose();
    createClip(small).dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('starts from zeros (ones for LayerNorm weights) without an rng', () => {
    const model = createClip(small);
    expect(model.module.parameter('visual.proj').value.dataSync().every((v) => v === 0)).toBe(true);
    expect(model.module.parameter('visual.ln_pre.weight').value.dataSync().every((v) => v === 1)).toBe(true);
    model.dispose();
  });
});
