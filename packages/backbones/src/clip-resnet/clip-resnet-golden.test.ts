import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadSafetensors, useBackend } from '@harma/core';
import { PORTABLE_BACKENDS, expectAllClose } from '@harma/core/testing';
import { goldenAdapterNames, goldenFile, goldenResNetConfig } from '../../test/golden-config';
import { loadClipResNet } from './load-clip-resnet';
import type { ClipResNetModel } from './clip-resnet-model';

/** Every BatchNorm of the tiny ResNet: the stem's three and four per (single-block) stage. */
const BATCH_NORMS = ['visual.bn1', 'visual.bn2', 'visual.bn3', ...[1, 2, 3, 4].flatMap((s) => ['bn1', 'bn2', 'bn3', 'downsample.1'].map((bn) => `visual.layer${s}.0.${bn}`))];

describe.each(PORTABLE_BACKENDS)('CLIP ResNet reproduces the tiny-rn golden outputs (%s)', (backend) => {
  let inputs: Map<string, tf.Tensor>;
  let outputs: Map<string, tf.Tensor>;
  let model: ClipResNetModel | undefined;

  beforeAll(async () => {
    await useBackend(backend);
    inputs = (await loadSafetensors(goldenFile('tiny-rn', 'inputs.safetensors'))).tensors;
    outputs = (await loadSafetensors(goldenFile('tiny-rn', 'outputs.safetensors'))).tensors;
  });

  afterEach(() => {
    model?.dispose();
    model = undefined;
  });

  async function load(file: 'weights.safetensors' | 'weights.pt'): Promise<ClipResNetModel> {
    const loaded = await loadClipResNet(goldenResNetConfig('tiny-rn'), goldenFile('tiny-rn', file), { ignore: goldenAdapterNames('tiny-rn') });
    expect(loaded.ignored.size).toBe(39);
    tf.dispose([...loaded.ignored.values()]);
    return loaded.model;
  }

  const expected = (name: string): tf.Tensor => outputs.get(name) as tf.Tensor;

  it.each(['weights.safetensors', 'weights.pt'] as const)('evaluation mode from %s: every stage output, the image embeddings, the plain text tower', async (file) => {
    model = await load(file);
    expect(model.training).toBe(false);
    const { features, stages } = model.forwardImage(inputs.get('images') as tf.Tensor, { stages: true });
    expect(stages.map((stage) => stage.shape)).toEqual([0, 1, 2, 3, 4].map((i) => expected(`image_stage${i}`).shape));
    stages.forEach((stage, i) => expectAllClose(stage, expected(`image_stage${i}`), { atol: 1e-4 }, `image_stage${i}`));
    expectAllClose(features, expected('image_emb'), { atol: 1e-4 }, 'image_emb');
    const text = model.forwardText(inputs.get('text') as tf.Tensor, { hiddenStates: true });
    expectAllClose(text.features, expected('plain.text_emb'), { atol: 1e-4 }, 'plain.text_emb');
    text.hiddenStates.forEach((state, i) => expectAllClose(state, expected(`plain.text_tokens_block${i}`), { atol: 1e-4 }, `plain.text_tokens_block${i}`));
    // Evaluation changes no state.
    expect(model.module.buffer('visual.bn1.num_batches_tracked').value.dataSync()[0]).toBe(0);
    tf.dispose([features, ...stages, text.features, ...text.hiddenStates]);
  });

  it('training mode: batch statistics, and every running statistic updated once per forward pass', async () => {
    model = await load('weights.safetensors');
    model.setTraining(true);
    expect(model.towers.vision.batchDependent).toBe(true);
    const features = model.encodeImage(inputs.get('images') as tf.Tensor);
    expectAllClose(features, expected('train_mode.image_emb'), { atol: 1e-4 }, 'train_mode.image_emb');
    for (const bn of BATCH_NORMS) {
      for (const statistic of ['running_mean', 'running_var']) {
        expectAllClose(model.module.buffer(`${bn}.${statistic}`).value, expected(`train_mode.buffer.${bn}.${statistic}`), { atol: 1e-5 }, `${bn}.${statistic}`);
      }
      expect(model.module.buffer(`${bn}.num_batches_tracked`).value.dataSync()[0]).toBe(1);
    }
    // Back in evaluation mode the updated statistics are used, and nothing changes any more.
    model.setTraining(false);
    expect(model.towers.vision.batchDependent).toBe(false);
    const evaluated = model.encodeImage(inputs.get('images') as tf.Tensor);
    expect(model.module.buffer('visual.bn1.num_batches_tracked').value.dataSync()[0]).toBe(1);
    tf.dispose([features, evaluated]);
  });

  it('freezeBatchNorm keeps the evaluation behaviour in training mode', async () => {
    const loaded = await loadClipResNet(goldenResNetConfig('tiny-rn'), goldenFile('tiny-rn', 'weights.safetensors'), { ignore: goldenAdapterNames('tiny-rn'), freezeBatchNorm: true });
    model = loaded.model;
    tf.dispose([...loaded.ignored.values()]);
    model.setTraining(true);
    expect(model.training).toBe(true);
    expect(model.towers.vision.batchDependent).toBe(false);
    const features = model.encodeImage(inputs.get('images') as tf.Tensor);
    expectAllClose(features, expected('image_emb'), { atol: 1e-4 }, 'image_emb with frozen BatchNorm');
    expect(model.module.buffer('visual.layer4.0.bn3.num_batches_tracked').value.dataSync()[0]).toBe(0);
    tf.dispose(features);
  });
});
