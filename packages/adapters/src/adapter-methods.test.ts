import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom, loadSafetensors, readSafetensorsHeader, useBackend, writeSafetensors } from '@harma/core';
import { expectAllClose } from '@harma/core/testing';
import { randomizeAttachment, toyFeatures } from '../test/adapter-test-values';
import { ToyDualEncoder } from '../test/toy-dual-encoder';
import { ADAPTER_METHODS, ADAPTER_METHOD_NAMES, adapterMethod, attachingMethodNames, configuredAdapterOptions, isAdapterKind } from './adapter-methods';
import { loadAdapterTensors, loadAdapters, saveAdapters } from './adapters-file';
import { attachmentsOf } from './attachment';

// Options small enough for the toy backbone; a method missing here is run with its config defaults.
const SMALL_SECTION: Record<string, unknown> = {
  harma: { bottleneck: 4, heads: 2, shareHeads: 1 },
  clipAdapter: { reduction: 2 },
  lora: { rank: 2, alpha: 4 },
};

describe('the table of adapter methods', () => {
  let dir: string;
  beforeAll(async () => {
    await useBackend('cpu');
    dir = mkdtempSync(path.join(os.tmpdir(), 'harma-methods-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names every entry by its key, with a one-line description, and lists harma, clip-adapter, lora and none', () => {
    expect(ADAPTER_METHOD_NAMES).toEqual(['harma', 'clip-adapter', 'lora', 'none']);
    for (const name of ADAPTER_METHOD_NAMES) {
      expect(ADAPTER_METHODS[name].name).toBe(name);
      expect(ADAPTER_METHODS[name].description).toMatch(/^[^\n]{10,120}$/);
    }
    expect(attachingMethodNames()).toEqual(['harma', 'clip-adapter', 'lora']);
    expect(isAdapterKind('none')).toBe(false);
    expect(isAdapterKind('toString')).toBe(false);
    expect(() => adapterMethod('none')).toThrow("'none' is not an adapter method that attaches (harma, clip-adapter, lora)");
    const keys = attachingMethodNames().map((name) => adapterMethod(name).config.key);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("gives the training config's options and defaults as they always were", () => {
    const defaults = Object.fromEntries(attachingMethodNames().map((name) => [name, adapterMethod(name).config.schema.parse({})]));
    expect(defaults).toEqual({
      harma: { bottleneck: 128, heads: 8, shareHeads: 8, share: 'text' },
      'clip-adapter': { reduction: 4, ratio: 0.2 },
      lora: { rank: 8, alpha: 16 },
    });
    const run = { temperature: 0.05 };
    expect(configuredAdapterOptions('harma', { harma: { bottleneck: 16, heads: 4, shareHeads: 2, share: 'both' } }, run)).toEqual({
      vision: { bottleneck: 16, heads: 4 },
      text: { bottleneck: 16, heads: 4 },
      bishare: 'both',
      bishareHeads: 2,
      temperature: 0.05,
    });
    expect(configuredAdapterOptions('clip-adapter', {}, run)).toEqual({ reduction: 4, ratio: 0.2, temperature: 0.05 });
    expect(configuredAdapterOptions('lora', { lora: { rank: 4 } }, run)).toEqual({ rank: 4, alpha: 16, temperature: 0.05 });
    expect(() => configuredAdapterOptions('lora', { lora: { rank: 4, targets: ['q'] } }, run)).toThrow(/adapter\.lora: \(root\): Unrecognized key/);
  });

  it.each(attachingMethodNames())('takes %s from config options through attach, freezing, an adapters file and tensors without metadata', async (name) => {
    const method = adapterMethod(name);
    const options = configuredAdapterOptions(name, SMALL_SECTION, { temperature: 0.05 });
    const source = new ToyDualEncoder();
    const plain = toyFeatures(source);
    const attachment = method.attach(source, { ...options, rng: new SeededRandom(3) });
    expect(attachment.kind).toBe(name);
    expect(attachmentsOf(source)).toEqual([attachment]);
    expect(attachment.temperature.value.dataSync()[0]).toBeCloseTo(0.05, 7);
    attachment.freeze();
    const added = attachment.countParameters().added;
    expect(added).toBeGreaterThan(1);
    expect(source.module.countParameters().trainable).toBe(added);
    randomizeAttachment(attachment, 4);
    const adapted = toyFeatures(source);
    expect(adapted[0]).not.toEqual(plain[0]);

    const file = path.join(dir, `${name}.safetensors`);
    await saveAdapters(file, source, attachment);
    expect((await readSafetensorsHeader(file)).metadata.adapter).toBe(name);
    const fromFile = new ToyDualEncoder();
    const loaded = await loadAdapters(file, fromFile);
    expect(loaded.kind).toBe(name);
    expect(loaded.options).toEqual(attachment.options);
    toyFeatures(fromFile).forEach((values, i) => expectAllClose(values, adapted[i] as Float32Array, { atol: 0 }, `${name} from its file, tower ${i}`));

    // The same tensors without metadata, as an official export holds them: the caller says what they are.
    const bare = path.join(dir, `${name}-bare.safetensors`);
    await writeSafetensors(bare, new Map(attachment.namedParameters().map(([parameterName, parameter]) => [parameterName, parameter.value])));
    const fromTensors = new ToyDualEncoder();
    const { tensors } = await loadSafetensors(bare);
    loadAdapterTensors(tensors, fromTensors, { adapter: name, options, source: bare });
    tf.dispose([...tensors.values()]);
    toyFeatures(fromTensors).forEach((values, i) => expectAllClose(values, adapted[i] as Float32Array, { atol: 0 }, `${name} from bare tensors, tower ${i}`));

    attachment.detach();
    toyFeatures(source).forEach((values, i) => expectAllClose(values, plain[i] as Float32Array, { atol: 0 }, `${name} detached, tower ${i}`));
    for (const backbone of [source, fromFile, fromTensors]) backbone.dispose();
  });

  it('refuses an adapters file whose method is not in the table, listing the ones that are', async () => {
    const source = new ToyDualEncoder();
    const attachment = adapterMethod('lora').attach(source, { rank: 2 });
    const file = path.join(dir, 'lora.safetensors');
    await saveAdapters(file, source, attachment);
    const { metadata, tensors } = await loadSafetensors(file);
    const unknown = path.join(dir, 'unknown.safetensors');
    await writeSafetensors(unknown, tensors, { metadata: { ...metadata, adapter: 'none' } });
    tf.dispose([...tensors.values()]);
    await expect(loadAdapters(unknown, new ToyDualEncoder())).rejects.toThrow(/__metadata__\.adapter 'none' is not one of harma, clip-adapter, lora/);
    source.dispose();
  });
});
