import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom, useBackend, type ModuleBuffer } from '@harma/core';
import { expectAllClose } from '@harma/core/testing';
import { batchGradients, type BatchGradients, type TrainingBatch } from '@harma/losses';
import { DataParallelGradients } from './data-parallel';
import { buildRandomClipHarma, type RandomClipResNetHarmaRecipe, type ShardModel } from './model-recipe';
import { trainingWorkerScript } from './worker-script';
import { randomTrainingBatch } from '../../test/random-training-batch';

// A CLIP ResNet whose BatchNorm layers normalise with the batch's statistics in training mode.
const recipe: RandomClipResNetHarmaRecipe = {
  kind: 'random-clip-resnet-harma',
  clip: {
    embedDim: 16,
    vision: { imageSize: 32, layers: [1, 1, 1, 1], width: 8, heads: 2 },
    text: { contextLength: 8, vocabSize: 50, width: 24, layers: 2, heads: 2, mlpRatio: 2 },
    activation: 'gelu',
    layerNormEps: 1e-5,
    batchNorm: { eps: 1e-5, momentum: 0.1 },
  },
  randomBackbone: true,
  harma: { text: { bottleneck: 8, heads: 2 }, bishareHeads: 2 },
  seed: 4,
  upProjectionStd: 0.05,
};
const loss = { contrastive: 1, triplet: 1, uniformity: 0, margin: 0.2, gamma: 2 };

function makeBatch(size: number, seed: number): TrainingBatch {
  return randomTrainingBatch(size, new SeededRandom(seed), [[1, 0]], 32);
}

function expectSameStep(actual: BatchGradients, expected: BatchGradients, label: string): void {
  expect(actual.terms.total).toBeCloseTo(expected.terms.total, 5);
  expect([...actual.gradients.keys()]).toEqual([...expected.gradients.keys()]);
  for (const [name, gradient] of expected.gradients) expectAllClose(actual.gradients.get(name)!, gradient, { atol: 1e-5, rtol: 0 }, `${label}: ${name}`);
  tf.dispose([...actual.gradients.values(), ...expected.gradients.values()]);
}

describe('DataParallelGradients on a CLIP ResNet in training mode (wasm, real worker threads)', () => {
  let model: ShardModel;
  let pool: DataParallelGradients;
  let tracked: ModuleBuffer;

  beforeAll(async () => {
    await useBackend('wasm');
    const workerScript = trainingWorkerScript();
    if (!workerScript) throw new Error('dist/parallel/training-worker.js is missing: build @harma/trainer (npx tsup) before these tests');
    model = buildRandomClipHarma(recipe);
    tracked = model.backbone.module.buffer('visual.layer2.0.bn2.num_batches_tracked');
    pool = await DataParallelGradients.start({ threads: 3, recipe, model, workerScript });
  });

  afterAll(async () => {
    await pool?.close();
    model?.dispose();
  });

  const count = (): number => tracked.value.dataSync()[0] as number;

  it('encodes the images once, over the whole batch, on this thread: the single-thread step, one running-statistics update each', () => {
    const batch = makeBatch(7, 1);
    model.backbone.setTraining?.(true);
    expect(model.trainable.some(([name]) => name.startsWith('visual.'))).toBe(false);
    const before = count();
    const single = batchGradients(model.backbone, model.temperature, model.trainable, batch, { loss });
    expect(count()).toBe(before + 1);
    const running = Array.from(model.backbone.module.buffer('visual.layer2.0.bn2.running_var').value.dataSync());
    expectSameStep(pool.batchGradients(batch, { loss }), single, '3 threads');
    expect(count()).toBe(before + 2);
    // The same batch statistics: the running variance moved by the same rule again.
    const after = Array.from(model.backbone.module.buffer('visual.layer2.0.bn2.running_var').value.dataSync());
    expect(after).not.toEqual(running);
  });

  it('with micro-batches inside the shards too', () => {
    const batch = makeBatch(9, 2);
    const single = batchGradients(model.backbone, model.temperature, model.trainable, batch, { loss });
    const before = count();
    expectSameStep(pool.batchGradients(batch, { loss, microBatchSize: 2 }), single, 'micro-batches of 2');
    expect(count()).toBe(before + 1);
  });
});
