import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@harma/core';
import { toOpenClipConfig, toOpenClipResNetConfig, trainBpeVocabulary, writeOpenClipVocabulary, type ClipResNetConfig, type ClipResNetModel } from '@harma/backbones';
import { parseTrainConfig } from '../config/load-config';
import { buildTrainingModel } from './build-model';

let dir: string;

beforeAll(async () => {
  await initBackend();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'harma-build-model-'));
  const vocabulary = trainBpeVocabulary(['a river between green fields'], { merges: 10 });
  await writeOpenClipVocabulary(path.join(dir, 'vocab.txt.gz'), vocabulary);
  const text = { contextLength: 8, vocabSize: vocabulary.encoder.size, width: 16, layers: 1, heads: 2, mlpRatio: 2 };
  const resnet: ClipResNetConfig = { embedDim: 8, vision: { imageSize: 32, layers: [1, 1, 1, 1], width: 8, heads: 2 }, text, activation: 'gelu', layerNormEps: 1e-5, batchNorm: { eps: 1e-5, momentum: 0.1 } };
  await fs.writeFile(path.join(dir, 'rn.json'), JSON.stringify(toOpenClipResNetConfig(resnet)));
  await fs.writeFile(path.join(dir, 'vit.json'), JSON.stringify(toOpenClipConfig({ embedDim: 8, vision: { imageSize: 16, patchSize: 8, width: 16, layers: 1, heads: 2, mlpRatio: 2 }, text, activation: 'gelu', layerNormEps: 1e-5 })));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const runConfig = (backbone: Record<string, unknown>) =>
  parseTrainConfig(
    {
      name: 'build-model-test',
      backbone: { vocabulary: 'vocab.txt.gz', ...backbone },
      adapter: { type: 'harma', harma: { bottleneck: 4, heads: 2, shareHeads: 1, share: 'text' } },
      data: { train: ['train.json'], val: 'val.json', test: 'test.json', images: 'images' },
      training: { epochs: 1, lr: 1e-3 },
      output: 'run',
    },
    path.join(dir, 'run.yaml'),
  );

/** `num_batches_tracked` of the first BatchNorm after one training-mode forward pass. */
async function batchesTrackedAfterATrainingPass(freezeBatchNorm?: boolean): Promise<{ frozen: boolean; tracked: number }> {
  const model = await buildTrainingModel(runConfig({ kind: 'clip-resnet', config: 'rn.json', ...(freezeBatchNorm === undefined ? {} : { freezeBatchNorm }) }));
  try {
    const backbone = model.backbone as ClipResNetModel;
    backbone.setTraining(true);
    const pixels = tf.randomNormal([3, 3, 32, 32], 0, 1, 'float32', 1);
    tf.dispose([backbone.encodeImage(pixels), pixels]);
    return { frozen: backbone.freezeBatchNorm, tracked: backbone.module.buffer('visual.bn1.num_batches_tracked').value.dataSync()[0] as number };
  } finally {
    model.dispose();
  }
}

describe('backbone.freezeBatchNorm', () => {
  it('defaults to the official behaviour: training mode updates the running statistics', async () => {
    expect(runConfig({ config: 'rn.json' }).backbone.freezeBatchNorm).toBeUndefined();
    expect(await batchesTrackedAfterATrainingPass()).toEqual({ frozen: false, tracked: 1 });
  });

  it('true keeps BatchNorm in evaluation mode while training, the statistics as loaded', async () => {
    expect(await batchesTrackedAfterATrainingPass(true)).toEqual({ frozen: true, tracked: 0 });
  });

  it('is refused for a backbone without BatchNorm', async () => {
    await expect(buildTrainingModel(runConfig({ kind: 'clip', config: 'vit.json', freezeBatchNorm: true }))).rejects.toThrow(
      'backbone.freezeBatchNorm: the clip backbone has no BatchNorm statistics to freeze',
    );
  });
});
