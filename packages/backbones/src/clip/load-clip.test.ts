import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry, StateDictError, loadSafetensors, useBackend, writeSafetensors, type BackboneFactory } from '@harma/core';
import type { ClipModel } from './clip-model';
import { loadClip } from './load-clip';
import { toOpenClipConfig } from './open-clip-config';
import { registerClipBackbones, type ClipBackboneOptions } from './register';
import { goldenAdapterNames, goldenClipConfig, goldenFile } from '../../test/golden-config';
import { ClipTokenizer } from '../tokenizer/clip-tokenizer';
import { trainBpeVocabulary } from '../tokenizer/train-bpe';
import { buildBpeVocabulary } from '../tokenizer/vocabulary';
import { writeOpenClipVocabulary } from '../tokenizer/vocabulary-files';

const config = goldenClipConfig('tiny-gelu');
// What the checkpoint holds beyond CLIP (adapters, gates, temp), as the reference lists it.
const adapterNames = goldenAdapterNames('tiny-gelu');
let dir: string;
let images: tf.Tensor;
let expectedImage: tf.Tensor;

beforeAll(async () => {
  await useBackend('cpu');
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'harma-load-clip-'));
  images = (await loadSafetensors(goldenFile('tiny-gelu', 'inputs.safetensors'), { filter: (name) => name === 'images' })).tensors.get('images') as tf.Tensor;
  expectedImage = (await loadSafetensors(goldenFile('tiny-gelu', 'outputs.safetensors'), { filter: (name) => name === 'plain.image_emb' })).tensors.get(
    'plain.image_emb',
  ) as tf.Tensor;
});

afterAll(async () => {
  tf.dispose([images, expectedImage]);
  await fs.rm(dir, { recursive: true, force: true });
});

function expectGoldenImage(model: ClipModel): void {
  const features = model.encodeImage(images);
  const difference = Math.max(...tf.abs(tf.sub(features, expectedImage)).dataSync());
  expect(difference).toBeLessThan(1e-4);
  features.dispose();
}

async function withoutTensor(name: string): Promise<string> {
  const tensors = (await loadSafetensors(goldenFile('tiny-gelu', 'weights.safetensors'))).tensors;
  tensors.get(name)?.dispose();
  tensors.delete(name);
  const file = path.join(dir, `without-${name}.safetensors`);
  await writeSafetensors(file, tensors);
  for (const tensor of tensors.values()) tensor.dispose();
  return file;
}

describe('loadClip', () => {
  it('is strict: the adapters and temp of a HarMA checkpoint are unexpected unless ignored explicitly', async () => {
    const file = goldenFile('tiny-gelu', 'harma_checkpoint.pth');
    const error = await loadClip(config, file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateDictError);
    expect((error as StateDictError).message).toMatch(/state dict from .*harma_checkpoint\.pth does not match the model — unexpected 59: /);
    expect((error as StateDictError).report.unexpected).toContain('temp');
    const { model, report, ignored } = await loadClip(config, file, { ignore: adapterNames });
    expect(report.loaded).toHaveLength(62);
    expect([...ignored.keys()]).toHaveLength(59);
    expect(ignored.has('temp') && ignored.has('transformer.resblocks.1.mmadapter.BiShareAdapterxx.l1.weight')).toBe(true);
    expectGoldenImage(model);
    model.dispose();
    for (const tensor of ignored.values()) tensor.dispose();
  });

  it('loads Hugging Face weights alone, strictly', async () => {
    const { model, ignored } = await loadClip(config, goldenFile('tiny-gelu', 'weights.hf.safetensors'));
    expect(ignored.size).toBe(0);
    expectGoldenImage(model);
    model.dispose();
  });

  it('reports a missing tensor by file and name (strict), and loads the rest when not strict', async () => {
    const file = await withoutTensor('ln_final.bias');
    await expect(loadClip(config, file, { ignore: adapterNames })).rejects.toThrow(
      new RegExp(`state dict from ${file} does not match the model — missing 1: ln_final\\.bias$`),
    );
    const { model, report } = await loadClip(config, file, { ignore: adapterNames, strict: false });
    expect(report.missing).toEqual(['ln_final.bias']);
    expectGoldenImage(model);
    model.dispose();
  });

  it('reports mis-shaped tensors when the config does not match the weights', async () => {
    const wrong = { ...config, text: { ...config.text, contextLength: 8 } };
    await expect(loadClip(wrong, goldenFile('tiny-gelu', 'weights.pt'), { ignore: adapterNames })).rejects.toThrow(
      /weights\.pt does not match the model — mis-shaped 1: positional_embedding expected \[8,48\] got \[16,48\]/,
    );
  });

  it('never lets `ignore` skip a parameter the model has', async () => {
    const { model, report, ignored } = await loadClip(config, goldenFile('tiny-gelu', 'weights.safetensors'), { ignore: () => true });
    expect(report.loaded).toHaveLength(62);
    expect(ignored.size).toBe(59);
    model.dispose();
    for (const tensor of ignored.values()) tensor.dispose();
  });

  it('takes a config by open_clip JSON path', async () => {
    const file = path.join(dir, 'tiny.json');
    await fs.writeFile(file, JSON.stringify(toOpenClipConfig(config)));
    const { model, ignored } = await loadClip(file, goldenFile('tiny-gelu', 'weights.safetensors'), { ignore: adapterNames });
    expectGoldenImage(model);
    model.dispose();
    for (const tensor of ignored.values()) tensor.dispose();
  });
});

describe('registerClipBackbones', () => {
  it("registers 'clip', whose factory builds from a config and loads weights", async () => {
    const registry = new Registry<BackboneFactory<never>>('backbone');
    registerClipBackbones(registry);
    expect(registry.names()).toEqual(['clip']);
    expect(() => registerClipBackbones(registry)).toThrow(/backbone 'clip' is already registered/);
    const factory = registry.get('clip') as unknown as BackboneFactory<ClipBackboneOptions>;
    const loaded = (await factory({ config, weights: goldenFile('tiny-gelu', 'harma_checkpoint.pth'), ignore: adapterNames })) as ClipModel;
    expectGoldenImage(loaded);
    loaded.dispose();
    const random = await factory({ config: 'ViT-B-32', seed: undefined });
    expect(random.embedDim).toBe(512);
    random.dispose();
  });
});

describe('the clip backbone through the contract', () => {
  it('describes itself as JSON that builds the same architecture again', async () => {
    const registry = new Registry<BackboneFactory<never>>('backbone');
    registerClipBackbones(registry);
    const factory = registry.get('clip') as unknown as BackboneFactory<ClipBackboneOptions>;
    const original = await factory({ config, weights: goldenFile('tiny-gelu', 'weights.safetensors'), ignore: adapterNames });
    const description = original.describe();
    expect(description.kind).toBe('clip');
    expect(description.specificationVersion).toBe('v2');
    // Through JSON text, as an export stores it.
    const rebuilt = await factory({
      config: JSON.parse(JSON.stringify(description.config)) as ClipBackboneOptions['config'],
      weights: goldenFile('tiny-gelu', 'weights.safetensors'),
      ignore: adapterNames,
    });
    expect(rebuilt.module.namedParameters().map(([name, p]) => [name, p.shape])).toEqual(original.module.namedParameters().map(([name, p]) => [name, p.shape]));
    expectGoldenImage(rebuilt as ClipModel);
    expect(original.vocabularySize).toBe(config.text.vocabSize);
    expect(original.tokenizer).toBeUndefined();
    original.dispose();
    rebuilt.dispose();
  });

  it('builds its tokenizer from the vocabulary it is given, and refuses one that does not fit', async () => {
    const registry = new Registry<BackboneFactory<never>>('backbone');
    registerClipBackbones(registry);
    const factory = registry.get('clip') as unknown as BackboneFactory<ClipBackboneOptions>;
    const small = path.join(dir, 'small.txt.gz');
    const vocabulary = trainBpeVocabulary(['a river', 'a bridge over a river'], { merges: 10 });
    await writeOpenClipVocabulary(small, vocabulary);
    const model = await factory({ config: { ...config, text: { ...config.text, vocabSize: 1000 } }, seed: 1, vocabulary: small });
    expect(model.tokenizer).toBeInstanceOf(ClipTokenizer);
    expect([...(model.tokenizer?.encode(['a bridge']) ?? [])]).toEqual([...new ClipTokenizer(vocabulary, { contextLength: config.text.contextLength }).encode(['a bridge'])]);
    model.dispose();
    const large = path.join(dir, 'large.txt.gz');
    await writeOpenClipVocabulary(large, buildBpeVocabulary(Array.from({ length: 600 }, (_, i) => ['a', String.fromCharCode(0x100 + i)] as const)));
    await expect(factory({ config: { ...config, text: { ...config.text, vocabSize: 1000 } }, vocabulary: large })).rejects.toThrow(
      /tokenizer's vocabulary has 1114 ids, the text tower embeds 1000; it is not this model's vocabulary/,
    );
  });
});
