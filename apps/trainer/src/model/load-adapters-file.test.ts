import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, loadSafetensors, writeSafetensors } from '@harma/core';
import { expectAllClose } from '@harma/core/testing';
import { fixturePath } from '@harma/test-support';
import { loadClip, validateClipConfig, type ClipModel } from '@harma/backbones';
import { attachmentsOf, isAdapterParameterName, saveAdapters } from '@harma/adapters';
import { parseTrainConfig } from '../config/load-config';
import { loadAdaptersFile } from './load-adapters-file';

// The golden tiny-gelu model (fixtures/golden/tiny-gelu/config.json) as a CLIP config and a run config.
const fixture = fixturePath('golden', 'tiny-gelu');
const clipConfig = validateClipConfig(
  {
    embedDim: 32,
    vision: { imageSize: 32, patchSize: 8, width: 64, layers: 2, heads: 4, mlpRatio: 4 },
    text: { contextLength: 16, vocabSize: 1000, width: 48, layers: 2, heads: 4, mlpRatio: 4 },
    activation: 'gelu',
    layerNormEps: 1e-5,
  },
  'tiny-gelu',
);
const runConfig = (adapterType: 'harma' | 'lora' | 'none' = 'harma') =>
  parseTrainConfig(
    {
      name: 'adapters-file-test',
      backbone: { config: 'ViT-B-32', vocabulary: 'vocab.txt.gz' },
      adapter: { type: adapterType, harma: { bottleneck: 16, heads: 4, shareHeads: 2, share: 'text' } },
      data: { train: ['train.json'], val: 'val.json', test: 'test.json', images: 'images' },
      training: { epochs: 1, lr: 1e-3 },
      output: 'run',
    },
    path.join(os.tmpdir(), 'run.yaml'),
  );

async function plainBackbone(): Promise<ClipModel> {
  const { model, ignored } = await loadClip(clipConfig, path.join(fixture, 'weights.safetensors'), { ignore: isAdapterParameterName });
  tf.dispose([...ignored.values()]);
  return model;
}

/** The adapted image and text embeddings of the fixture's inputs against the golden ones. */
async function expectGoldenEmbeddings(model: ClipModel): Promise<void> {
  const inputs = (await loadSafetensors(path.join(fixture, 'inputs.safetensors'))).tensors;
  const outputs = (await loadSafetensors(path.join(fixture, 'outputs.safetensors'))).tensors;
  const image = model.encodeImage(inputs.get('images') as tf.Tensor);
  const text = model.encodeText(inputs.get('text') as tf.Tensor);
  expectAllClose(image, (outputs.get('image_emb') as tf.Tensor).dataSync(), { atol: 1e-4 }, 'image_emb');
  expectAllClose(text, (outputs.get('text_emb') as tf.Tensor).dataSync(), { atol: 1e-4 }, 'text_emb');
  tf.dispose([image, text, ...inputs.values(), ...outputs.values()]);
}

describe('--adapters <file>', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it("takes the adapters, gates and temp out of an official HarMA checkpoint (backbone and adapters in one .pth) with the config's options", async () => {
    const model = await plainBackbone();
    const attachment = await loadAdaptersFile(path.join(fixture, 'harma_checkpoint.pth'), model, runConfig(), 'harma');
    expect(attachment.kind).toBe('harma');
    expect(attachment.temperature?.value.dataSync()[0]).toBeCloseTo(0.07, 6);
    await expectGoldenEmbeddings(model);
    model.dispose();
  });

  it('reads a safetensors file of official adapter names without HarMA.js metadata, and round-trips its own files', async () => {
    const model = await plainBackbone();
    await loadAdaptersFile(path.join(fixture, 'adapters.safetensors'), model, runConfig(), 'harma');
    await expectGoldenEmbeddings(model);
    const own = path.join(await mkdtemp(path.join(os.tmpdir(), 'harma-adapters-')), 'best.safetensors');
    const [attachment] = attachmentsOf(model);
    if (!attachment) throw new Error('no attachment after loading');
    await saveAdapters(own, model, attachment);
    const fresh = await plainBackbone();
    await loadAdaptersFile(own, fresh, runConfig('none'), 'none');
    await expectGoldenEmbeddings(fresh);
    model.dispose();
    fresh.dispose();
  });

  it('names the file when it holds no adapters, or when the run gives no adapter type for a file without metadata', async () => {
    const model = await plainBackbone();
    // The backbone's own weights only (the fixture's weights.safetensors holds the adapters too).
    const plain = path.join(await mkdtemp(path.join(os.tmpdir(), 'harma-adapters-')), 'plain.safetensors');
    await writeSafetensors(plain, model.module.stateDict());
    await expect(loadAdaptersFile(plain, model, runConfig(), 'harma')).rejects.toThrow(`state dict from ${plain} does not match the model — missing`);
    await expect(loadAdaptersFile(plain, model, runConfig('none'), 'none')).rejects.toThrow(`${plain} has no HarMA.js adapter metadata: set adapter.type`);
    // Nothing stays attached after a failed load.
    expect(attachmentsOf(model)).toHaveLength(0);
    model.dispose();
  });

  it('refuses adapter tensors of the wrong shape, naming them', async () => {
    const model = await plainBackbone();
    const { tensors } = await loadSafetensors(path.join(fixture, 'adapters.safetensors'));
    const name = [...tensors.keys()].find((n) => n.endsWith('img_proj_down.weight')) as string;
    tensors.get(name)?.dispose();
    tensors.set(name, tf.zeros([3, 3]));
    const broken = path.join(await mkdtemp(path.join(os.tmpdir(), 'harma-adapters-')), 'broken.safetensors');
    await writeSafetensors(broken, tensors);
    tf.dispose([...tensors.values()]);
    await expect(loadAdaptersFile(broken, model, runConfig(), 'harma')).rejects.toThrow(name);
    model.dispose();
  });
});
