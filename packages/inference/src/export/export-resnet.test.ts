import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom, useBackend, writeSafetensors } from '@harma/core';
import { expectAllClose } from '@harma/core/testing';
import { createClipResNet, type ClipResNetModel } from '@harma/backbones';
import { attachHarma, attachmentsOf, isAdapterParameterName, saveAdapters, type AdapterAttachment } from '@harma/adapters';
import { loadExportedModel } from '../model/load-exported-model';
import { testTokenizer } from '../../test/golden-model';
import { exportOnnx, type OnnxExport } from './export-onnx';
import { verifyExport } from './verify-export';
import { tinyResNetConfig } from '@harma/test-support';

/** A tiny ResNet CLIP with HarMA on its text tower, whose BatchNorm layers are not the identity. */
function tinyResNetClip(): ClipResNetModel {
  const rng = new SeededRandom('export-resnet');
  const model = createClipResNet(tinyResNetConfig({ embedDim: 16, vision: { imageSize: 64, layers: [1, 2, 1, 1] }, text: { vocabSize: 600, layers: 2 } }), { rng });
  tf.tidy(() => {
    for (const [name, parameter] of model.module.namedParameters()) {
      if (/\.bn\d\.(weight|bias)$|downsample\.1\.(weight|bias)$/.test(name)) parameter.assign(tf.tensor(rng.fillUniform(parameter.size, 0.5, 1.5), parameter.shape));
    }
    for (const [name, buffer] of model.module.namedBuffers()) {
      if (name.endsWith('running_mean')) buffer.assign(tf.tensor(rng.fillNormal(buffer.size, 0, 0.1), buffer.shape));
      if (name.endsWith('running_var')) buffer.assign(tf.tensor(rng.fillUniform(buffer.size, 0.5, 2), buffer.shape));
    }
  });
  attachHarma(model, { text: { bottleneck: 4, heads: 2 }, bishareHeads: 1, rng }).freeze();
  return model;
}

describe('exporting a CLIP ResNet (convolutions, BatchNorm in evaluation mode, attention pooling)', () => {
  let dir: string;
  let model: ClipResNetModel;
  let exported: OnnxExport;

  beforeAll(async () => {
    await useBackend('wasm');
    dir = await mkdtemp(path.join(os.tmpdir(), 'harma-export-resnet-'));
    model = tinyResNetClip();
    exported = await exportOnnx(model, dir, { tokenizer: testTokenizer(8) });
  });

  afterAll(async () => {
    model?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes convolutions as Conv, pools as AveragePool, and BatchNorm as constant scale and shift ONNX Runtime folds', () => {
    const operators = exported.vision.operators;
    // The stem's three 3×3 convolutions and one per Bottleneck (5); 1×1 convolutions are MatMuls over the channels.
    expect(operators.Conv).toBe(8);
    // The stem's pool, one per Bottleneck and shortcut of stages 2–4 (stride 2).
    expect(operators.AveragePool).toBe(7);
    expect(operators.BatchNormalization).toBeUndefined();
    expect(operators.Softmax).toBe(1);
  });

  it('matches the tfjs model to 1e-4 in fp32 (verifyExport); int8 quantises every MatMul weight, 1×1 convolutions included, and keeps 3×3 convolutions fp32', async () => {
    const parity = await verifyExport(dir, model, { batch: 5 });
    expect(parity.vision.maxAbsDifference).toBeLessThan(1e-4);
    expect(parity.text.maxAbsDifference).toBeLessThan(1e-4);
    const quantized = exported.vision.quantization?.quantized ?? [];
    expect(quantized).toEqual(expect.arrayContaining(['visual.layer1.0.conv1.weight', 'visual.layer1.0.conv3.weight', 'visual.layer1.0.downsample.0.weight', 'visual.attnpool.c_proj.weight']));
    // Two 1×1 convolutions per Bottleneck (5), four shortcuts, four attention projections.
    expect(quantized).toHaveLength(18);
    expect(quantized.filter((name) => name.endsWith('conv2.weight') || /^visual\.conv\d/.test(name))).toEqual([]);
    const int8 = await verifyExport(dir, model, { batch: 5, precision: 'int8' });
    expect(int8.vision.minCosine).toBeGreaterThan(0.999);
    expect(int8.text.minCosine).toBeGreaterThan(0.999);
  });

  it('says in config.json that transformers has no class for it, and loadExportedModel opens it on both engines', async () => {
    const config = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8'));
    expect(Object.keys(config)).toEqual(['harma']);
    // Its text tower alone is a transformers CLIPTextModelWithProjection, recorded for harma site (not at the top: the folder is no transformers model).
    expect(config.harma.transformers).toEqual({
      modelType: null,
      note: expect.stringContaining('transformers has no model class for a clip-resnet backbone'),
      textConfig: model.huggingFaceTextConfig(testTokenizer(8)),
    });
    expect(config.harma.transformers.note).toMatch(/its text tower alone is a clip_text_model model \(textConfig\), which harma site runs in the browser$/);
    expect(config.harma.transformers.textConfig).toMatchObject({ architectures: ['CLIPTextModelWithProjection'], model_type: 'clip_text_model', hidden_size: 16, num_hidden_layers: 2, max_position_embeddings: 8, projection_dim: 16 });
    const pixels = tf.randomNormal([3, 3, 64, 64], 0, 1, 'float32', 9);
    const reference = model.encodeImage(pixels);
    const weights = path.join(dir, 'backbone.safetensors');
    // The whole backbone without its adapters: parameters and BatchNorm buffers.
    await writeSafetensors(weights, new Map([...model.module.stateDict()].filter(([name]) => !isAdapterParameterName(name))));
    const adapters = path.join(dir, 'adapters.safetensors');
    await saveAdapters(adapters, model, attachmentsOf(model)[0] as AdapterAttachment);
    for (const options of [{}, { engine: 'tfjs' as const, weights: [weights], adapters }]) {
      const opened = await loadExportedModel(dir, options);
      try {
        expect(opened.config.backbone.kind).toBe('clip-resnet');
        expectAllClose(await opened.encoder.encodeImages(pixels.dataSync() as Float32Array, 3), reference, { atol: 1e-4 }, `image embeddings, ${opened.encoder.engine}`);
      } finally {
        await opened.dispose();
      }
    }
    tf.dispose([pixels, reference]);
  });
});
