import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry, SeededRandom, createBackbone, normalTensor, useBackend, writeSafetensors, type BackboneFactory, type TokenizerLoader } from '@harma/core';
import { PORTABLE_BACKENDS, expectAllClose } from '@harma/core/testing';
import { attachHarma, freezeForHarma } from '@harma/adapters';
import { CONV_DUAL_ENCODER_PRESETS, parseConvDualEncoderConfig, resolveConvDualEncoderConfig, type ConvDualEncoderConfig } from './config';
import { CONV_DUAL_ENCODER_KIND, ConvDualEncoder } from './conv-dual-encoder';
import { PatchConv } from './patch-conv';
import { convDualEncoderFactory, registerConvDualEncoder, registerConvDualEncoderOnce } from './register';
import { WORD_TOKENIZER_KIND } from './word-tokenizer';

const CONFIG: ConvDualEncoderConfig = parseConvDualEncoderConfig({
  embedDim: 8,
  vision: { imageSize: 16, stem: [4, 2], stemWidth: 6, width: 12, layers: 2, heads: 3, mlpRatio: 2 },
  text: { contextLength: 7, vocabSize: 40, width: 8, layers: 2, heads: 2, mlpRatio: 2 },
});

/** Ids [batch, 7]: a start id, words, an end id, zero padding (as the CLIP tokenizer writes them). */
function idsOf(rows: number[][]): tf.Tensor {
  const values = rows.map((row) => [...row, ...new Array<number>(CONFIG.text.contextLength - row.length).fill(0)]);
  return tf.tensor2d(values, [rows.length, CONFIG.text.contextLength], 'int32');
}

describe.each(PORTABLE_BACKENDS)('ConvDualEncoder on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('is a contract backbone: both towers expose every block as a site under its state-dict path', () => {
    const model = new ConvDualEncoder(CONFIG, { seed: 1 });
    expect(model.kind).toBe('conv-dual-encoder');
    const { vision, text } = model.towers;
    expect(vision.blocks.map((b) => [b.path, b.width, b.heads, b.tokens])).toEqual([
      ['visual.blocks.0', 12, 3, 4],
      ['visual.blocks.1', 12, 3, 4],
    ]);
    expect(text.blocks.map((b) => [b.path, b.width, b.heads, b.tokens])).toEqual([
      ['text.blocks.0', 8, 2, 7],
      ['text.blocks.1', 8, 2, 7],
    ]);
    // Every site's block is the module found at its path, so adapters register under that name.
    for (const site of [...vision.blocks, ...text.blocks]) expect(model.module.get(site.path)).toBe(site.block);
    const names = model.module.namedParameters().map(([name]) => name);
    expect(names).toContain('visual.stem.0.weight');
    expect(names).toContain('visual.blocks.1.attn.in_proj_weight');
    expect(names).toContain('text.token_embedding.weight');
    expect(model.module.parameter('visual.stem.0.weight').shape).toEqual([6, 3, 4, 4]);
    expect(model.module.parameter('visual.stem.1.weight').shape).toEqual([12, 6, 2, 2]);
    model.dispose();
  });

  it('PatchConv equals a direct convolution loop (PyTorch Conv2d, kernel = stride)', () => {
    const rng = new SeededRandom('conv');
    const conv = new PatchConv(2, 3, 2, rng);
    const input = normalTensor([2, 4, 6, 2], rng); // channels-last [b, h, w, c]
    const actual = conv.forward(input);
    expect(actual.shape).toEqual([2, 2, 3, 3]);
    const x = input.dataSync();
    const w = conv.weight.value.dataSync();
    const b = conv.bias.value.dataSync();
    const expected: number[] = [];
    for (let n = 0; n < 2; n++)
      for (let i = 0; i < 2; i++)
        for (let j = 0; j < 3; j++)
          for (let o = 0; o < 3; o++) {
            let sum = b[o] as number;
            for (let c = 0; c < 2; c++)
              for (let di = 0; di < 2; di++)
                for (let dj = 0; dj < 2; dj++) {
                  const xi = ((n * 4 + (2 * i + di)) * 6 + (2 * j + dj)) * 2 + c;
                  const wi = ((o * 2 + c) * 2 + di) * 2 + dj;
                  sum += (x[xi] as number) * (w[wi] as number);
                }
            expected.push(sum);
          }
    expectAllClose(actual, expected, { atol: 1e-5 }, 'patch conv');
    tf.dispose([input, actual]);
    conv.dispose();
  });

  it('encodes both modalities into unit vectors of the shared space', () => {
    const model = new ConvDualEncoder(CONFIG, { seed: 2 });
    const pixels = normalTensor([3, 3, 16, 16], new SeededRandom('pixels'));
    const image = model.encodeImage(pixels);
    const text = model.encodeText(idsOf([[38, 5, 39], [38, 7, 8, 9, 39], [38, 39]]));
    expect(image.shape).toEqual([3, 8]);
    expect(text.shape).toEqual([3, 8]);
    expectAllClose(tf.norm(image, 'euclidean', 1), [1, 1, 1], { atol: 1e-5 });
    expectAllClose(tf.norm(text, 'euclidean', 1), [1, 1, 1], { atol: 1e-5 });
    tf.dispose([pixels, image, text]);
    model.dispose();
  });

  it('ignores padding: the positional rows of padded positions do not change a caption', () => {
    const model = new ConvDualEncoder(CONFIG, { seed: 3 });
    const ids = idsOf([[38, 4, 5, 39]]);
    const before = model.encodeText(ids, { normalize: false });
    const position = model.text.positional_embedding;
    // Rewrite the rows of positions 4..6 (padding for this caption) and nothing else.
    const changed = tf.tidy(() => tf.concat([tf.slice(position.value, [0, 0], [4, -1]), tf.fill([3, CONFIG.text.width], 5)], 0));
    position.assign(changed);
    const after = model.encodeText(ids, { normalize: false });
    expectAllClose(after, before.dataSync(), { atol: 1e-5 }, 'padded positions');
    // A real token's row does change it: the check above can fail.
    const moved = tf.tidy(() => tf.concat([tf.fill([1, CONFIG.text.width], 5), tf.slice(position.value, [1, 0], [-1, -1])], 0));
    position.assign(moved);
    const third = model.encodeText(ids, { normalize: false });
    expect(Math.max(...tf.tidy(() => tf.abs(tf.sub(third, before))).dataSync())).toBeGreaterThan(1e-3);
    tf.dispose([ids, before, changed, after, moved, third]);
    model.dispose();
  });

  it('gets HarMA attached: an untrained attachment leaves the embeddings unchanged, only adapters train', () => {
    const model = new ConvDualEncoder(CONFIG, { seed: 4 });
    const pixels = normalTensor([2, 3, 16, 16], new SeededRandom('pixels'));
    const ids = idsOf([[38, 5, 39], [38, 6, 7, 39]]);
    const plainImage = model.encodeImage(pixels);
    const plainText = model.encodeText(ids);
    const harma = attachHarma(model, { vision: { bottleneck: 4, heads: 2 }, text: { bottleneck: 4, heads: 2 }, bishareHeads: 1 });
    freezeForHarma(model);
    const trainable = model.module.trainableParameters().map(([name]) => name);
    expect(trainable).toContain('visual.blocks.0.gate1');
    expect(trainable).toContain('text.blocks.1.mmadapter.BiShareAdapterxx.l1.weight');
    expect(trainable).toContain('temp');
    expect(trainable.every((name) => name === 'temp' || /\.(gate1|mmadapter\.)/.test(name))).toBe(true);
    expectAllClose(model.encodeImage(pixels), plainImage.dataSync(), { atol: 1e-6 }, 'image with HarMA');
    expectAllClose(model.encodeText(ids), plainText.dataSync(), { atol: 1e-6 }, 'text with HarMA');
    harma.detach();
    expect(model.module.namedParameters().some(([name]) => name.includes('mmadapter'))).toBe(false);
    tf.dispose([pixels, ids, plainImage, plainText]);
    model.dispose();
  });
});

describe('conv-dual-encoder factory and registration', () => {
  let dir: string;
  beforeAll(async () => {
    await useBackend('cpu');
    dir = await mkdtemp(path.join(os.tmpdir(), 'conv-dual-encoder-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads its weights from safetensors strictly, dropping only the names it is told to ignore', async () => {
    const source = new ConvDualEncoder(CONFIG, { seed: 5 });
    const file = path.join(dir, 'weights.safetensors');
    const extra = tf.ones([2]);
    await writeSafetensors(file, new Map([...source.module.stateDict(), ['visual.blocks.0.gate1', extra]]));
    const ids = idsOf([[38, 9, 39]]);
    const loaded = await convDualEncoderFactory({ config: CONFIG, weights: file, ignore: (name) => name.includes('gate') });
    expectAllClose(loaded.encodeText(ids), source.encodeText(ids).dataSync(), { atol: 1e-6 }, 'loaded text');
    await expect(convDualEncoderFactory({ config: CONFIG, weights: file })).rejects.toThrow(/visual\.blocks\.0\.gate1/);
    const missing = path.join(dir, 'missing.safetensors');
    const partial = source.module.stateDict();
    partial.delete('text.proj.weight');
    await writeSafetensors(missing, partial);
    await expect(convDualEncoderFactory({ config: CONFIG, weights: missing })).rejects.toThrow(/text\.proj\.weight/);
    tf.dispose([extra, ids]);
    source.dispose();
    loaded.dispose();
  });

  it('registers by name; createBackbone builds it from a preset, a seed gives the same weights twice', async () => {
    const registry = new Registry<BackboneFactory<never>>('backbone');
    const tokenizers = new Registry<TokenizerLoader>('tokenizer');
    registerConvDualEncoder({ backbones: registry, tokenizers });
    expect(() => registerConvDualEncoder({ backbones: registry, tokenizers })).toThrow(/already registered/);
    registerConvDualEncoderOnce({ backbones: registry, tokenizers });
    expect(registry.names()).toEqual([CONV_DUAL_ENCODER_KIND]);
    expect(tokenizers.names()).toEqual([WORD_TOKENIZER_KIND]);
    const factory = registry.get(CONV_DUAL_ENCODER_KIND) as unknown as typeof convDualEncoderFactory;
    const a = await factory({ config: 'tiny', seed: 'same' });
    const b = await factory({ config: 'tiny', seed: 'same' });
    expect(a.contextLength).toBe(CONV_DUAL_ENCODER_PRESETS.tiny.text.contextLength);
    expectAllClose(b.module.parameter('visual.stem.0.weight').value, a.module.parameter('visual.stem.0.weight').value.dataSync(), { atol: 0 });
    a.dispose();
    b.dispose();
    // The process-wide registry is what the trainer and the server use.
    registerConvDualEncoderOnce();
    const viaCore = await createBackbone(CONV_DUAL_ENCODER_KIND, { config: CONFIG, seed: 1 });
    expect(viaCore.embedDim).toBe(8);
    viaCore.dispose();
  });

  it('names the source and the field of a bad config', () => {
    expect(() => resolveConvDualEncoderConfig('huge')).toThrow(/'huge' is neither a preset \(tiny, small\) nor a \.json file/);
    expect(() => parseConvDualEncoderConfig({ ...CONFIG, vision: { ...CONFIG.vision, imageSize: 18 } })).toThrow(/vision\.imageSize: 18 is not divisible by the stem's total stride 8/);
    expect(() => resolveConvDualEncoderConfig(path.join(dir, 'absent.json'))).toThrow(/cannot read config .*absent\.json/);
  });
});
