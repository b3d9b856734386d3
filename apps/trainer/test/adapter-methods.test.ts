import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom, normalTensor, useBackend, writeSafetensors } from '@harma/core';
import { ADAPTER_METHODS, ADAPTER_METHOD_NAMES, adapterMethod, attachingMethodNames, isAdapterKind, saveAdapters } from '@harma/adapters';
import { adapterOption } from '../src/commands/adapter-option';
import { loadTrainConfig } from '../src/config/load-config';
import { adapterSchema, type TrainConfig } from '../src/config/train-config';
import { buildTrainingModel, type TrainingModel } from '../src/model/build-model';
import { countFor } from '../src/model/count-parameters';
import { writeTinyRun } from './tiny-run';

// Adding an adapter method is one entry in @harma/adapters' ADAPTER_METHODS: every place the
// trainer names methods must follow that table, which these tests check entry by entry.
const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/cli.js');
const tableNames = Object.keys(ADAPTER_METHODS);

/** Trainable parameter values by name. */
function trainableValues(model: TrainingModel): Map<string, Float32Array> {
  return new Map(model.trainableParameters().map(([name, parameter]) => [name, parameter.value.dataSync() as Float32Array]));
}

describe('the trainer reads the table of adapter methods', () => {
  let dir: string;
  let config: TrainConfig;
  beforeAll(async () => {
    await useBackend('cpu');
    dir = await mkdtemp(path.join(os.tmpdir(), 'harma-methods-'));
    config = await loadTrainConfig(await writeTinyRun(dir));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("config: adapter.type is one of the table's names and each method's options sit under its key with its defaults", () => {
    expect(adapterSchema.shape.type.removeDefault().options).toEqual(tableNames);
    const expected: Record<string, unknown> = { type: 'harma' };
    for (const name of attachingMethodNames()) expected[adapterMethod(name).config.key] = adapterMethod(name).config.schema.parse({});
    expect(adapterSchema.parse({})).toEqual(expected);
    expect(Object.keys(adapterSchema.shape).sort()).toEqual(Object.keys(expected).sort());
  });

  it('CLI: --adapter offers exactly the table, and train and info help describe every method', async () => {
    expect(adapterOption().argChoices).toEqual(tableNames);
    for (const command of ['train', 'info']) {
      const { stdout } = await promisify(execFile)(process.execPath, [cli, command, '--help']);
      const help = stdout.replace(/\s+/g, ' ');
      for (const name of ADAPTER_METHOD_NAMES) expect(help, `harma ${command} --help`).toContain(`${name}: ${ADAPTER_METHODS[name].description}`);
      expect(help).toContain(`(choices: ${tableNames.map((name) => `"${name}"`).join(', ')}`);
    }
  });

  it.each(tableNames)('%s: counted by harma info', async (name) => {
    const counts = await countFor(path.join(dir, 'model.json'), { adapter: name as keyof typeof ADAPTER_METHODS });
    const plain = await countFor(path.join(dir, 'model.json'), { adapter: 'none' });
    expect(counts.adapter).toBe(name);
    expect(counts.trainable).toBe(counts.groups.filter((group) => group.trainable).reduce((sum, group) => sum + group.parameters, 0));
    if (isAdapterKind(name)) {
      expect(counts.trainable).toBeGreaterThan(1);
      expect(counts.total).toBe(plain.total + counts.trainable);
    } else expect(counts.trainable).toBe(0);
  });

  it.each(tableNames)("%s: built from the config's options, and its adapters file loads back, with and without metadata", async (name) => {
    const type = name as TrainConfig['adapter']['type'];
    const run = { ...config, adapter: { ...config.adapter, type } };
    const model = await buildTrainingModel(run);
    try {
      expect(model.attachment?.kind).toBe(isAdapterKind(name) ? name : undefined);
      const trainable = model.trainableParameters();
      expect(trainable.map(([parameterName]) => parameterName)).toEqual(
        model.attachment ? model.attachment.namedParameters().map(([parameterName]) => parameterName) : ['temp'],
      );
      if (!model.attachment) return;
      expect(model.temperature.value.dataSync()[0]).toBeCloseTo(config.training.temperature, 7);
      // Values a fresh attachment never has (zero up-projections), so a load that misses anything shows.
      const rng = new SeededRandom(9);
      for (const [, parameter] of trainable) tf.tidy(() => parameter.assign(normalTensor(parameter.shape, rng, 0.3)));
      const expected = trainableValues(model);

      const file = path.join(dir, `${name}.safetensors`);
      await saveAdapters(file, model.backbone, model.attachment);
      const bare = path.join(dir, `${name}-bare.safetensors`);
      await writeSafetensors(bare, new Map(trainable.map(([parameterName, parameter]) => [parameterName, parameter.value])));
      // With metadata the file names its method (the run's type does not matter); without, the run's type and options say it.
      for (const [adapters, adapterType] of [[file, 'none'], [bare, type]] as const) {
        const loaded = await buildTrainingModel(run, { adapters, adapterType });
        try {
          expect(loaded.attachment?.kind).toBe(name);
          expect(trainableValues(loaded)).toEqual(expected);
        } finally {
          loaded.dispose();
        }
      }
    } finally {
      model.dispose();
    }
  });
});
