import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '@harma/core';
import { expectAllClose } from '@harma/core/testing';
import { attachmentsOf, saveAdapters } from '@harma/adapters';
import { writeOpenClipVocabulary } from '@harma/backbones';
import { testTokenizer, loadGoldenFixture, type GoldenFixture } from '../../test/golden-model';
import { exportOnnx } from '../export/export-onnx';
import { loadExportedModel } from './load-exported-model';

let fixture: GoldenFixture;
let work: string;
let dir: string;
let adapters: string;
const tokenizer = testTokenizer(16);
const captions = ['a river between fields', 'two bridges over a canal', ''];

function firstRows(name: 'images' | 'text', count: number): Float32Array | Int32Array {
  return tf.tidy(() => tf.slice(fixture.inputs.get(name) as tf.Tensor, 0, count)).dataSync() as Float32Array | Int32Array;
}

beforeAll(async () => {
  await useBackend('cpu');
  fixture = await loadGoldenFixture('tiny-gelu');
  work = await mkdtemp(path.join(os.tmpdir(), 'harma-load-export-'));
  dir = path.join(work, 'model');
  await exportOnnx(fixture.model, dir, { tokenizer, metadata: { fixture: 'tiny-gelu' } });
  adapters = path.join(work, 'adapters.safetensors');
  await saveAdapters(adapters, fixture.model, attachmentsOf(fixture.model)[0] as NonNullable<ReturnType<typeof attachmentsOf>[0]>);
});

afterAll(async () => {
  fixture?.model.dispose();
  await rm(work, { recursive: true, force: true });
});

describe('loadExportedModel', () => {
  it('opens an export on ONNX Runtime with the tokenizer it saved and the preprocessing it was trained with', async () => {
    const model = await loadExportedModel(dir);
    try {
      expect(model.legacy).toBe(false);
      expect(model.encoder.engine).toBe('ort');
      expect(model.precision).toBe('fp32');
      expect(model.preprocess).toEqual(fixture.model.preprocess);
      expect([...model.tokenizer.encode(captions)]).toEqual([...tokenizer.encode(captions)]);
      expect(model.files.map((file) => path.relative(dir, file))).toEqual(['config.json', 'onnx/vision_model.onnx', 'onnx/text_model.onnx']);
      expectAllClose(await model.encoder.encodeImages(firstRows('images', 3) as Float32Array, 3), tf.slice(fixture.outputs.get('image_emb') as tf.Tensor, 0, 3).dataSync(), { atol: 1e-4 }, 'image_emb');
      expectAllClose(await model.encoder.encodeTexts(firstRows('text', 3) as Int32Array, 3), tf.slice(fixture.outputs.get('text_emb') as tf.Tensor, 0, 3).dataSync(), { atol: 1e-4 }, 'text_emb');
    } finally {
      await model.dispose();
    }
  });

  it('runs the int8 graphs when asked', async () => {
    const model = await loadExportedModel(dir, { precision: 'int8' });
    expect(model.precision).toBe('int8');
    expect(model.files.map((file) => path.relative(dir, file))).toEqual(['config.json', 'onnx/vision_model_quantized.onnx', 'onnx/text_model_quantized.onnx']);
    await model.dispose();
  });

  it('rebuilds the training-time model on tfjs from weights and adapters, through the backbone registry', async () => {
    const model = await loadExportedModel(dir, { engine: 'tfjs', weights: [path.join(fixture.dir, 'weights.safetensors')], adapters });
    try {
      expect(model.encoder.engine).toBe('tfjs');
      const ids = firstRows('text', 4) as Int32Array;
      expectAllClose(await model.encoder.encodeTexts(ids, 4), tf.slice(fixture.outputs.get('text_emb') as tf.Tensor, 0, 4).dataSync(), { atol: 1e-4 }, 'tfjs text_emb');
    } finally {
      await model.dispose();
    }
    await expect(loadExportedModel(dir, { engine: 'tfjs' })).rejects.toThrow(/the tfjs engine needs the backbone weights/);
  });

  it('falls back to tfjs when ONNX Runtime cannot run the graphs (auto), and says why', async () => {
    const broken = path.join(work, 'broken');
    await exportOnnx(fixture.model, broken, { tokenizer, quantize: false });
    await writeFile(path.join(broken, 'onnx', 'vision_model.onnx'), 'not a graph');
    await expect(loadExportedModel(broken)).rejects.toThrow();
    const reasons: unknown[] = [];
    const model = await loadExportedModel(broken, { engine: 'auto', weights: [path.join(fixture.dir, 'weights.safetensors')], adapters, onFallback: (error) => reasons.push(error) });
    expect(model.encoder.engine).toBe('tfjs');
    expect(reasons).toHaveLength(1);
    await model.dispose();
  });

  it('opens a folder of the first format version, whose vocabulary file users bring', async () => {
    const old = path.join(work, 'v1');
    await exportOnnx(fixture.model, old, { tokenizer, quantize: false });
    // A version-1 folder: HarMA.js's config at the top level, the graphs beside it, a vocabulary file named.
    const { harma: current } = JSON.parse(await readFile(path.join(old, 'config.json'), 'utf8')) as { harma: Record<string, unknown> & { backbone: Record<string, unknown>; vision: object; text: object } };
    const legacy = {
      ...current,
      formatVersion: 1,
      transformers: undefined,
      backbone: { kind: 'clip', specificationVersion: 'v1', model: current.backbone.config, parameters: current.backbone.parameters },
      tokenizer: { contextLength: 16, padId: 0, vocabulary: 'vocab.txt.gz', vocabularySize: 1000 },
      vision: { ...current.vision, file: 'vision_model.onnx', quantized: undefined },
      text: { ...current.text, file: 'text_model.onnx', quantized: undefined },
    };
    await writeFile(path.join(old, 'config.json'), JSON.stringify(legacy));
    await rename(path.join(old, 'onnx', 'vision_model.onnx'), path.join(old, 'vision_model.onnx'));
    await rename(path.join(old, 'onnx', 'text_model.onnx'), path.join(old, 'text_model.onnx'));
    for (const file of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.json', 'merges.txt']) await rm(path.join(old, file));
    await expect(loadExportedModel(old)).rejects.toThrow(/cannot read its clip-bpe tokenizer .*vocab\.txt\.gz.*; put the vocabulary the model was trained with in the model folder, pass it as the vocabulary option/);
    await writeOpenClipVocabulary(path.join(old, 'vocab.txt.gz'), tokenizer.vocabulary);
    const model = await loadExportedModel(old);
    expect(model.legacy).toBe(true);
    expect([...model.tokenizer.encode(captions)]).toEqual([...tokenizer.encode(captions)]);
    await model.dispose();
  });

  it('names the folder and what to do when it is not an export or its plug-in cannot be found', async () => {
    await expect(loadExportedModel(work)).rejects.toThrow(/config\.json: not found, so .* is not a model folder\. A model folder is what harma export writes: .* Make one from a training run with: harma export --config/);
    const withPlugin = path.join(work, 'plugin');
    await exportOnnx(fixture.model, withPlugin, { tokenizer, quantize: false, plugin: '@harma-examples/not-installed/register' });
    const config = JSON.parse(await readFile(path.join(withPlugin, 'config.json'), 'utf8')) as { harma: { backbone: { plugin: string }; tokenizer: { kind: string } } };
    expect(config.harma.backbone.plugin).toBe('@harma-examples/not-installed/register');
    // The kinds it needs are registered (clip is built in): the plug-in is not imported at all.
    const model = await loadExportedModel(withPlugin);
    await model.dispose();
    config.harma.tokenizer.kind = 'words-of-a-plugin';
    await writeFile(path.join(withPlugin, 'config.json'), JSON.stringify(config));
    await expect(loadExportedModel(withPlugin)).rejects.toThrow(/model .*plugin: plug-in '@harma-examples\/not-installed\/register' could not be imported/);
  });
});
