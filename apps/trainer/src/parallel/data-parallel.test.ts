import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom, useBackend } from '@harma/core';
import { expectAllClose } from '@harma/core/testing';
import type { ClipConfig } from '@harma/backbones';
import { batchGradients, type BatchGradients, type TrainingBatch } from '@harma/losses';
import { DataParallelGradients, shardRanges } from './data-parallel';
import { buildRandomClipHarma, type RandomClipHarmaRecipe, type RandomClipResNetHarmaRecipe, type ShardModel } from './model-recipe';
import { trainingWorkerScript } from './worker-script';
import { randomTrainingBatch } from '../../test/random-training-batch';

const recipe: RandomClipHarmaRecipe = {
  kind: 'random-clip-harma',
  clip: {
    embedDim: 16,
    vision: { imageSize: 16, patchSize: 8, width: 32, layers: 2, heads: 2, mlpRatio: 2 },
    text: { contextLength: 8, vocabSize: 50, width: 24, layers: 2, heads: 2, mlpRatio: 2 },
    activation: 'gelu',
    layerNormEps: 1e-5,
  },
  randomBackbone: true,
  harma: { vision: { bottleneck: 8, heads: 2 }, text: { bottleneck: 8, heads: 2 }, bishareHeads: 2 },
  seed: 3,
  upProjectionStd: 0.05,
};
// A CLIP ResNet, whose BatchNorm layers normalise with the batch's statistics in training mode.
const resnetRecipe: RandomClipResNetHarmaRecipe = {
  ...recipe,
  kind: 'random-clip-resnet-harma',
  clip: { ...(recipe.clip as ClipConfig), vision: { imageSize: 32, layers: [1, 1, 1, 1], width: 8, heads: 2 }, batchNorm: { eps: 1e-5, momentum: 0.1 } },
  harma: { text: { bottleneck: 8, heads: 2 }, bishareHeads: 2 },
};
const loss = { contrastive: 1, triplet: 1, uniformity: 0, margin: 0.2, gamma: 2 };

function makeBatch(size: number, seed: number, imageSize = 16): TrainingBatch {
  // Pairs 0/1 share an image id.
  return randomTrainingBatch(size, new SeededRandom(seed), [[1, 0]], imageSize);
}

/** The recipe's model on this thread and a pool of 3 threads around it (wasm). */
async function startPool(built: RandomClipHarmaRecipe | RandomClipResNetHarmaRecipe): Promise<{ model: ShardModel; pool: DataParallelGradients }> {
  await useBackend('wasm');
  const workerScript = trainingWorkerScript();
  if (!workerScript) throw new Error('dist/parallel/training-worker.js is missing: build @harma/trainer (npx tsup) before these tests');
  const model = buildRandomClipHarma(built);
  return { model, pool: await DataParallelGradients.start({ threads: 3, recipe: built, model, workerScript }) };
}

function expectSameStep(actual: BatchGradients, expected: BatchGradients, label: string): void {
  expect(actual.terms.total).toBeCloseTo(expected.terms.total, 5);
  expect(actual.terms.contrastive).toBeCloseTo(expected.terms.contrastive, 5);
  expect(actual.terms.triplet).toBeCloseTo(expected.terms.triplet, 5);
  expect([...actual.gradients.keys()]).toEqual([...expected.gradients.keys()]);
  for (const [name, gradient] of expected.gradients) expectAllClose(actual.gradients.get(name)!, gradient, { atol: 1e-5, rtol: 0 }, `${label}: ${name}`);
}

describe('shardRanges', () => {
  it('splits rows contiguously, sizes differing by at most one, never an empty shard', () => {
    expect(shardRanges(32, 2)).toEqual([{ start: 0, size: 16 }, { start: 16, size: 16 }]);
    expect(shardRanges(7, 3)).toEqual([{ start: 0, size: 3 }, { start: 3, size: 2 }, { start: 5, size: 2 }]);
    expect(shardRanges(2, 4)).toEqual([{ start: 0, size: 1 }, { start: 1, size: 1 }]);
  });
});

describe('DataParallelGradients (wasm, real worker threads)', () => {
  let model: ShardModel;
  let pool: DataParallelGradients;

  beforeAll(async () => {
    ({ model, pool } = await startPool(recipe));
  });

  afterAll(async () => {
    await pool?.close();
    model?.dispose();
  });

  it('gives the single-thread loss and gradients within 1e-5, every parameter including temp', () => {
    const batch = makeBatch(7, 1);
    const single = batchGradients(model.backbone, model.temperature, model.trainable, batch, { loss });
    const parallel = pool.batchGradients(batch, { loss });
    expect(parallel.gradients.has('temp')).toBe(true);
    expectSameStep(parallel, single, '3 threads');
    const norm = Math.sqrt([...single.gradients.values()].reduce((s, g) => s + (tf.sum(tf.square(g)).dataSync()[0] as number), 0));
    expect(norm).toBeGreaterThan(1e-4);
    tf.dispose([...single.gradients.values(), ...parallel.gradients.values()]);
  });

  it('follows the main thread’s parameters from step to step, and micro-batches inside the shards', () => {
    const batch = makeBatch(9, 2);
    // Change every trainable value on the main thread: the workers must use the new ones.
    for (const [, parameter] of model.trainable) tf.tidy(() => parameter.assign(tf.mul(parameter.value, 1.5)));
    const single = batchGradients(model.backbone, model.temperature, model.trainable, batch, { loss });
    expectSameStep(pool.batchGradients(batch, { loss }), single, 'after an update');
    expectSameStep(pool.batchGradients(batch, { loss, microBatchSize: 2 }), single, 'micro-batches of 2');
    // A batch smaller than the threads leaves a worker idle.
    const small = makeBatch(2, 3);
    expectSameStep(pool.batchGradients(small, { loss }), batchGradients(model.backbone, model.temperature, model.trainable, small, { loss }), 'batch of 2');
  });

  it('reports a worker’s failure with its message, and the next step works', () => {
    const batch = makeBatch(6, 4);
    batch.tokens[5 * 8 + 1] = 999; // outside the vocabulary, in the last worker's shard
    expect(() => pool.batchGradients(batch, { loss })).toThrow(/training worker 2 failed at step \d+: .*id 999, outside the vocabulary/s);
    const good = makeBatch(6, 5);
    expectSameStep(pool.batchGradients(good, { loss }), batchGradients(model.backbone, model.temperature, model.trainable, good, { loss }), 'after a failure');
  });

  it('keeps the tensor count flat across steps', () => {
    const batch = makeBatch(5, 6);
    const run = (): void => tf.dispose([...pool.batchGradients(batch, { loss }).gradients.values()]);
    run();
    const before = tf.memory().numTensors;
    run();
    run();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('DataParallelGradients on a CLIP ResNet in training mode (wasm, real worker threads)', () => {
  let model: ShardModel;
  let pool: DataParallelGradients;

  beforeAll(async () => {
    ({ model, pool } = await startPool(resnetRecipe));
  });

  afterAll(async () => {
    await pool?.close();
    model?.dispose();
  });

  const tracked = (): number => model.backbone.module.buffer('visual.layer2.0.bn2.num_batches_tracked').value.dataSync()[0] as number;

  it('encodes the images once, over the whole batch, on this thread: the single-thread step, one running-statistics update each', () => {
    const batch = makeBatch(7, 1, 32);
    model.backbone.setTraining?.(true);
    expect(model.backbone.towers.vision.batchDependent).toBe(true);
    expect(model.trainable.some(([name]) => name.startsWith('visual.'))).toBe(false);
    const before = tracked();
    const single = batchGradients(model.backbone, model.temperature, model.trainable, batch, { loss });
    expect(tracked()).toBe(before + 1);
    expectSameStep(pool.batchGradients(batch, { loss }), single, '3 threads');
    expect(tracked()).toBe(before + 2);
  });

  it('with micro-batches inside the shards too', () => {
    const batch = makeBatch(9, 2, 32);
    const single = batchGradients(model.backbone, model.temperature, model.trainable, batch, { loss });
    const before = tracked();
    expectSameStep(pool.batchGradients(batch, { loss, microBatchSize: 2 }), single, 'micro-batches of 2');
    expect(tracked()).toBe(before + 1);
  });
});
