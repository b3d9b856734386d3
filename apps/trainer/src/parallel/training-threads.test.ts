import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { backboneRegistry, configureLogging, createBackbone, setLogger, useBackend, type BackboneFactory } from '@harma/core';
import { loadTrainConfig } from '../config/load-config';
import { ensureBuiltInBackbones } from '@harma/backbones';
import { buildTrainingModel } from '../model/build-model';
import { MetricsLog, type StepRecord } from '../train/metrics-log';
import { runTraining } from '../train/run-training';
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
    const records: Array<Record<string, unknown>> = [];
    setLogger(pino({ level: 'info' }, { write: (line: string) => void records.push(JSON.parse(line) as Record<string, unknown>) }));
    try {
      const file = await writeTinyRun(dir);
      const base = await loadTrainConfig(file);
      const config = { ...base, backbone: { ...base.backbone, kind: 'this-thread-only' }, training: { ...base.training, threads: 2 } };
      // The run asks for two threads, whose workers cannot build this kind: it warns and steps on this thread.
      const steps = async (threads: number): Promise<StepRecord[]> => {
        const output = path.join(dir, `run-${threads}`);
        const result = await runTraining({ ...config, output, training: { ...config.training, threads } }, { progress: false, stopAfterSteps: 2, skipTest: true });
        expect(result.globalStep).toBe(2);
        return (await new MetricsLog(path.join(output, 'metrics.jsonl')).read()).filter((record): record is StepRecord => record.type === 'step');
      };
      const fallback = await steps(2);
      const warnings = records.filter((record) => record.level === 40);
      expect(warnings).toEqual([
        expect.objectContaining({
          component: 'train',
          details: expect.objectContaining({ threads: 2 }),
          msg: expect.stringMatching(/^the training threads could not start \(.*this-thread-only.*\): training on one thread\. A backbone kind registered in this thread only must be named in the config as backbone\.plugin/),
        }),
      ]);
      expect(records.some((record) => String(record.msg).startsWith('computing each step on'))).toBe(false);
      // The steps it took are those of a one-thread run, loss for loss.
      const oneThread = await steps(1);
      expect(fallback.map((step) => step.loss)).toHaveLength(2);
      expect(fallback.every((step) => Number.isFinite(step.loss))).toBe(true);
      expect(fallback.map((step) => [step.loss, step.gradNorm, step.temp])).toEqual(oneThread.map((step) => [step.loss, step.gradNorm, step.temp]));

      // With the kind known everywhere (clip), the same call starts the pool.
      const model = await buildTrainingModel(config);
      try {
        const clipConfig = { ...config, backbone: { ...config.backbone, kind: 'clip' } };
        const pool = await startStepThreads(clipConfig, 'harma', model, model.trainableParameters(), { workerScript });
        expect(pool?.threads).toBe(2);
        await pool?.close();
      } finally {
        model.dispose();
      }
    } finally {
      configureLogging({});
      backboneRegistry.unregister('this-thread-only');
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
