import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { backboneRegistry, createBackbone, useBackend, type BackboneFactory } from '@harma/core';
import { loadTrainConfig } from '../config/load-config';
import { ensureBuiltInBackbones } from '@harma/backbones';
import { buildTrainingModel } from '../model/build-model';
import { writeTinyRun } from '../../test/tiny-run';
import { defaultTrainingThreads, startStepThreads } from './training-threads';
import { trainingWorkerScript } from './worker-script';

describe('defaultTrainingThreads', () => {
  it('uses every core on wasm and cpu, one on the native backends, HARMA_THREADS over both', () => {
    expect(defaultTrainingThreads('wasm', {})).toBe(os.availableParallelism());
    expect(defaultTrainingThreads('cpu', {})).toBe(os.availableParallelism());
    expect(defaultTrainingThreads('tensorflow', {})).toBe(1);
    expect(defaultTrainingThreads('tensorflow-gpu', { HARMA_THREADS: '' })).toBe(1);
    expect(defaultTrainingThreads('wasm', { HARMA_THREADS: '3' })).toBe(3);
    expect(() => defaultTrainingThreads('wasm', { HARMA_THREADS: 'two' })).toThrow('HARMA_THREADS=two is not a positive integer');
    expect(() => defaultTrainingThreads('wasm', { HARMA_THREADS: '0' })).toThrow(/not a positive integer/);
  });
});

describe('startStepThreads (real worker threads)', () => {
  it('trains on one thread instead of failing when the workers cannot build the model', async () => {
    const workerScript = trainingWorkerScript();
    if (!workerScript) throw new Error('build @harma/trainer first (npx tsup): the worker entry dist/parallel/training-worker.js is missing');
    await useBackend('cpu');
    ensureBuiltInBackbones();
    // A kind registered in this thread only, and no backbone.plugin naming a module that registers it.
    const clipFactory: BackboneFactory<never> = (options) => createBackbone('clip', options);
    backboneRegistry.register('this-thread-only', clipFactory);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'harma-threads-'));
    try {
      const file = await writeTinyRun(dir);
      const base = await loadTrainConfig(file);
      const config = { ...base, backbone: { ...base.backbone, kind: 'this-thread-only' }, training: { ...base.training, threads: 2 } };
      const model = await buildTrainingModel(config);
      try {
        await expect(startStepThreads(config, 'harma', model, model.trainableParameters(), { workerScript })).resolves.toBeUndefined();
        // With the kind known everywhere (clip), the same call starts the pool.
        const clipConfig = { ...config, backbone: { ...config.backbone, kind: 'clip' } };
        const pool = await startStepThreads(clipConfig, 'harma', model, model.trainableParameters(), { workerScript });
        expect(pool?.threads).toBe(2);
        await pool?.close();
      } finally {
        model.dispose();
      }
    } finally {
      backboneRegistry.unregister('this-thread-only');
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
