import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry, SeededRandom, createBackbone, useBackend, writeSafetensors, type Backbone, type BackboneFactory } from '@harma/core';
import { expectAllClose } from '@harma/core/testing';
import { createClipResNet, type ClipResNetModel } from './clip-resnet-model';
import type { ClipResNetConfig } from './config';
import { registerClipResNetBackbones } from './register-resnet';
import { ensureBuiltInBackbones } from '../ensure-built-ins';
import { tinyResNetConfig } from '@harma/test-support';

const small: ClipResNetConfig = tinyResNetConfig({ vision: { layers: [1, 2, 1, 1], width: 4 }, text: { vocabSize: 40, layers: 2, mlpRatio: 4 } });

describe('CLIP ResNet through the backbone contract', () => {
  let model: ClipResNetModel;
  let dir: string;

  beforeAll(async () => {
    await useBackend('cpu');
    model = createClipResNet(small, { rng: new SeededRandom(5) });
    dir = await mkdtemp(path.join(os.tmpdir(), 'harma-resnet-'));
  });

  afterAll(async () => {
    model.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('offers the text tower’s blocks as sites and none in the image tower, whose width is the ResNet feature width', () => {
    const { vision, text } = model.towers;
    expect(model.kind).toBe('clip-resnet');
    expect(vision).toMatchObject({ name: 'vision', path: 'visual', width: 128, embedDim: 12, blocks: [] });
    expect(vision.module).toBe(model.module.visual);
    expect(text.blocks.map((block) => block.path)).toEqual(['transformer.resblocks.0', 'transformer.resblocks.1']);
    expect(model.preprocess.size).toBe(32);
    // Hugging Face has no CLIP ResNet class: the contract's optional member is absent.
    expect((model as Backbone).huggingFaceConfig).toBeUndefined();
  });

  it("describes its text tower as transformers' CLIPTextModelWithProjection: the sizes it was built with", () => {
    // No tokenizer: open_clip's numbering of the special ids (the vocabulary's last two).
    expect(model.huggingFaceTextConfig()).toEqual({
      architectures: ['CLIPTextModelWithProjection'],
      model_type: 'clip_text_model',
      vocab_size: 40,
      hidden_size: 16,
      intermediate_size: 64,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      max_position_embeddings: 8,
      hidden_act: 'quick_gelu',
      layer_norm_eps: 1e-5,
      projection_dim: 12,
      attention_dropout: 0,
      initializer_range: 0.02,
      initializer_factor: 1,
      pad_token_id: 0,
      bos_token_id: 38,
      eos_token_id: 39,
    });
  });

  it('names parameters and BatchNorm buffers as open_clip, in its state-dict order', () => {
    const names = [...model.module.stateDict().keys()];
    // The root's own parameters first, as PyTorch's state_dict lists open_clip's CLIP.
    expect(names.slice(0, 3)).toEqual(['positional_embedding', 'text_projection', 'logit_scale']);
    expect(names.slice(3, 15)).toEqual([
      'visual.conv1.weight',
      'visual.bn1.weight',
      'visual.bn1.bias',
      'visual.bn1.running_mean',
      'visual.bn1.running_var',
      'visual.bn1.num_batches_tracked',
      'visual.conv2.weight',
      'visual.bn2.weight',
      'visual.bn2.bias',
      'visual.bn2.running_mean',
      'visual.bn2.running_var',
      'visual.bn2.num_batches_tracked',
    ]);
    expect(names).toContain('visual.layer2.1.conv3.weight');
    expect(names).toContain('visual.layer2.0.downsample.0.weight');
    expect(names).not.toContain('visual.layer2.1.downsample.0.weight');
    expect(names.filter((name) => name.startsWith('visual.attnpool.'))).toEqual([
      'visual.attnpool.positional_embedding',
      ...['k_proj', 'q_proj', 'v_proj', 'c_proj'].flatMap((p) => [`visual.attnpool.${p}.weight`, `visual.attnpool.${p}.bias`]),
    ]);
    expect(model.module.parameter('visual.attnpool.positional_embedding').shape).toEqual([2, 128]);
    expect(names[names.indexOf('visual.attnpool.c_proj.bias') + 1]).toBe('transformer.resblocks.0.ln_1.weight');
    // Buffers are state, not parameters: 3 per BatchNorm — the stem’s 3, 3 per block of 5, a shortcut’s in each stage.
    expect(model.module.namedBuffers()).toHaveLength(3 * (3 + 5 * 3 + 4));
    expect(model.module.countParameters().total).toBe(model.module.namedParameters().reduce((sum, [, p]) => sum + p.size, 0));
  });

  it("initialises as open_clip: each residual branch's last BatchNorm at zero, running statistics 0 and 1", () => {
    expect(Array.from(model.module.parameter('visual.layer3.0.bn3.weight').value.dataSync()).every((v) => v === 0)).toBe(true);
    expect(Array.from(model.module.parameter('visual.layer3.0.bn2.weight').value.dataSync()).every((v) => v === 1)).toBe(true);
    expect(Array.from(model.module.buffer('visual.bn1.running_var').value.dataSync())).toEqual([1, 1]);
    const again = createClipResNet(small, { rng: new SeededRandom(5) });
    expect(Array.from(again.module.parameter('visual.layer1.0.conv2.weight').value.dataSync())).toEqual(Array.from(model.module.parameter('visual.layer1.0.conv2.weight').value.dataSync()));
    again.dispose();
  });

  it('encodes images of the configured size only, and keeps the tensor count flat in both modes', () => {
    const pixels = tf.randomNormal([3, 3, 32, 32], 0, 1, 'float32', 1);
    const { features, stages } = model.forwardImage(pixels, { stages: true });
    expect(features.shape).toEqual([3, 12]);
    expect(stages.map((stage) => stage.shape)).toEqual([[3, 4, 8, 8], [3, 16, 8, 8], [3, 32, 4, 4], [3, 64, 2, 2], [3, 128, 1, 1]]);
    expect(() => model.encodeImage(tf.zeros([1, 3, 24, 24]))).toThrow(/expected \[batch, 3, 32, 32\]/);
    for (const training of [false, true]) {
      model.setTraining(training);
      tf.dispose(model.encodeImage(pixels));
      const before = tf.memory().numTensors;
      tf.dispose(model.encodeImage(pixels));
      expect(tf.memory().numTensors, `training ${training}`).toBe(before);
    }
    model.setTraining(false);
    tf.dispose([pixels, features, ...stages]);
  });

  it('describe() rebuilds the same model through the registry, and its weight file carries the BatchNorm statistics', async () => {
    const registry = new Registry<BackboneFactory<never>>('backbone');
    registerClipResNetBackbones(registry);
    expect(() => registerClipResNetBackbones(registry)).toThrow(/already/);
    const counter = (): number => model.module.buffer('visual.layer1.0.bn1.num_batches_tracked').value.dataSync()[0] as number;
    const tracked = counter();
    model.setTraining(true);
    const pixels = tf.randomNormal([2, 3, 32, 32], 0, 1, 'float32', 2);
    tf.dispose(model.encodeImage(pixels));
    model.setTraining(false);
    expect(counter()).toBe(tracked + 1);
    const file = path.join(dir, 'tiny-rn.safetensors');
    await writeSafetensors(file, model.module.stateDict());
    ensureBuiltInBackbones();
    const rebuilt = (await createBackbone('clip-resnet', { config: model.describe().config, weights: file })) as ClipResNetModel;
    expect(rebuilt.describe()).toEqual(model.describe());
    expect(rebuilt.module.buffer('visual.layer1.0.bn1.num_batches_tracked').value.dataSync()[0]).toBe(tracked + 1);
    expectAllClose(rebuilt.encodeImage(pixels), model.encodeImage(pixels), { atol: 1e-6 });
    rebuilt.dispose();
    tf.dispose(pixels);
  });

  it('the clip kind refuses a ResNet config and names the kind that reads it', async () => {
    ensureBuiltInBackbones();
    await expect(createBackbone('clip', { config: 'RN50' })).rejects.toThrow(/RN50\.json: vision_cfg\.layers is a list: a ModifiedResNet image tower, the clip-resnet backbone kind/);
    await expect(createBackbone('clip-resnet', { config: 'ViT-B-32' })).rejects.toThrow(/a ViT, the clip backbone kind/);
    await expect(createBackbone('clip-resnet', { config: { ...small, vision: { ...small.vision, imageSize: 48 } } })).rejects.toThrow(/vision\.imageSize: imageSize 48 is not a multiple of 32/);
  });
});
