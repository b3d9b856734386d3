import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom, StateDictError, loadSafetensors, readSafetensorsHeader, useBackend, writeSafetensors } from '@harma/core';
import { createClipResNet, type ClipResNetModel } from '@harma/backbones';
import { expectAllClose } from '@harma/core/testing';
import { randomizeAttachment, toyFeatures } from '../test/adapter-test-values';
import { ToyDualEncoder } from '../test/toy-dual-encoder';
import { ADAPTERS_FILE_FORMAT, loadAdapters, saveAdapters } from './adapters-file';
import { attachClipAdapter } from './baselines/clip-adapter';
import { attachLora } from './baselines/lora';
import { attachHarma } from './harma/attach-harma';
import type { HarmaOptions } from './harma/harma-options';
import { tinyResNetConfig } from '@harma/test-support';

const SMALL: HarmaOptions = { vision: { bottleneck: 8, heads: 2 }, text: { bottleneck: 8, heads: 2 }, bishareHeads: 2 };

/** A tiny CLIP ResNet (BatchNorm buffers in its image tower), the same for the same seed. */
function tinyResNet(seed: number): ClipResNetModel {
  return createClipResNet(tinyResNetConfig({ embedDim: 8 }), { rng: new SeededRandom(seed) });
}

describe('adapters-only files', () => {
  let dir: string;
  beforeAll(async () => {
    await useBackend('cpu');
    dir = mkdtempSync(path.join(os.tmpdir(), 'harma-adapters-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips HarMA through a file with its options and backbone kind in the metadata', async () => {
    const source = new ToyDualEncoder();
    const attachment = attachHarma(source, SMALL);
    randomizeAttachment(attachment, 1);
    const file = path.join(dir, 'harma.safetensors');
    const saved = await saveAdapters(file, source, attachment);
    const names = attachment.namedParameters().map(([name]) => name);
    expect(saved.tensors).toBe(names.length);
    expect(saved.parameters).toBe(attachment.countParameters().added);
    expect(saved.bytes).toBeGreaterThan(4 * saved.parameters);

    const header = await readSafetensorsHeader(file);
    expect(header.entries.map((entry) => entry.name).sort()).toEqual([...names].sort());
    expect(header.metadata).toMatchObject({ format: ADAPTERS_FILE_FORMAT, adapter: 'harma', backbone: 'toy-dual-encoder' });
    expect(JSON.parse(header.metadata.options as string)).toEqual(attachment.options);

    const target = new ToyDualEncoder();
    const loaded = await loadAdapters(file, target);
    expect(loaded.kind).toBe('harma');
    expect(loaded.options).toEqual(attachment.options);
    const [image, text] = toyFeatures(target);
    const [expectedImage, expectedText] = toyFeatures(source);
    expectAllClose(image as Float32Array, expectedImage as Float32Array, { atol: 0 }, 'image features');
    expectAllClose(text as Float32Array, expectedText as Float32Array, { atol: 0 }, 'text features');
    // Loading again goes into the attachment already there.
    expect(await loadAdapters(file, target)).toBe(loaded);
    source.dispose();
    target.dispose();
  });

  it('saves the backbone\'s BatchNorm statistics with the adapters and loads them back: the saved epoch is evaluated exactly', async () => {
    const source = tinyResNet(3);
    const attachment = attachHarma(source, SMALL);
    randomizeAttachment(attachment, 2);
    const pixels = tf.randomNormal([4, 3, 32, 32], 0, 1, 'float32', 6);
    const moveStatistics = (): void => {
      source.setTraining(true);
      tf.dispose(source.encodeImage(pixels));
      source.setTraining(false);
    };
    const evaluationEmbeddings = (model: ClipResNetModel): Float32Array => tf.tidy(() => model.encodeImage(pixels).dataSync() as Float32Array);
    moveStatistics();
    const file = path.join(dir, 'best-resnet.safetensors');
    const saved = await saveAdapters(file, source, attachment);
    const buffers = source.module.namedBuffers();
    expect(saved.buffers).toBe(buffers.length);
    expect(saved.buffers).toBe(3 * (3 + 4 * 4));
    const header = await readSafetensorsHeader(file);
    expect(header.entries.map((entry) => entry.name).sort()).toEqual([...attachment.namedParameters().map(([name]) => name), ...buffers.map(([name]) => name)].sort());
    const savedStatistics = new Map(buffers.map(([name, buffer]) => [name, Array.from(buffer.value.dataSync())]));
    const atBest = evaluationEmbeddings(source);

    // Training goes on: the statistics move, and so do the evaluation embeddings.
    moveStatistics();
    expect(Array.from(evaluationEmbeddings(source))).not.toEqual(Array.from(atBest));
    expect(Array.from(source.module.buffer('visual.bn1.num_batches_tracked').value.dataSync())).toEqual([2]);

    // testWithBest: the best file restores the adapters and the statistics of its epoch.
    await loadAdapters(file, source);
    for (const [name, buffer] of source.module.namedBuffers()) expect(Array.from(buffer.value.dataSync()), name).toEqual(savedStatistics.get(name));
    expect(Array.from(evaluationEmbeddings(source))).toEqual(Array.from(atBest));
    // And a fresh model from the same weights gives the same numbers.
    const fresh = tinyResNet(3);
    await loadAdapters(file, fresh);
    expect(Array.from(evaluationEmbeddings(fresh))).toEqual(Array.from(atBest));

    // A buffer of the wrong shape is refused with the rest, and nothing is loaded.
    const tensors = (await loadSafetensors(file)).tensors;
    const wrong = path.join(dir, 'wrong-buffer.safetensors');
    tensors.get('visual.bn1.running_mean')?.dispose();
    tensors.set('visual.bn1.running_mean', tf.zeros([3]));
    await writeSafetensors(wrong, tensors, { metadata: header.metadata });
    const other = tinyResNet(4);
    await expect(loadAdapters(wrong, other)).rejects.toThrow(/visual\.bn1\.running_mean/);
    tf.dispose([pixels, ...tensors.values()]);
    for (const model of [source, fresh, other]) model.dispose();
  });

  it('round-trips the whole state dict of an adapted backbone', () => {
    const source = new ToyDualEncoder();
    randomizeAttachment(attachHarma(source, SMALL), 2);
    const target = new ToyDualEncoder(undefined, 99);
    attachHarma(target, SMALL);
    expect(toyFeatures(target)[0]).not.toEqual(toyFeatures(source)[0]);
    target.module.loadStateDict(source.module.stateDict());
    expectAllClose(toyFeatures(target)[0] as Float32Array, toyFeatures(source)[0] as Float32Array, { atol: 0 }, 'image features');
    expectAllClose(toyFeatures(target)[1] as Float32Array, toyFeatures(source)[1] as Float32Array, { atol: 0 }, 'text features');
    source.dispose();
    target.dispose();
  });

  it('refuses files whose options, names, shapes or backbone differ, loading nothing', async () => {
    const source = new ToyDualEncoder();
    const attachment = attachHarma(source, SMALL);
    randomizeAttachment(attachment, 3);
    const file = path.join(dir, 'good.safetensors');
    await saveAdapters(file, source, attachment);
    const { metadata, tensors } = await loadSafetensors(file);

    const other = new ToyDualEncoder();
    attachHarma(other, { ...SMALL, text: { bottleneck: 4, heads: 2 } });
    await expect(loadAdapters(file, other)).rejects.toThrow(/good\.safetensors: adapter options differ .*text\.bottleneck: 4 ≠ 8/);

    const renamed = new Map(tensors);
    renamed.set('text_encoder.layers.0.mmadapter.gate2', renamed.get('text_encoder.layers.0.mmadapter.gate1') as tf.Tensor);
    renamed.delete('text_encoder.layers.0.mmadapter.gate1');
    const renamedFile = path.join(dir, 'renamed.safetensors');
    await writeSafetensors(renamedFile, renamed, { metadata });
    const fresh = new ToyDualEncoder();
    const error = await loadAdapters(renamedFile, fresh).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateDictError);
    expect((error as StateDictError).report.unexpected).toEqual(['text_encoder.layers.0.mmadapter.gate2']);
    expect((error as StateDictError).report.missing).toEqual(['text_encoder.layers.0.mmadapter.gate1']);
    expect((error as Error).message).toContain('renamed.safetensors');
    // The attachment made for the load is gone again.
    expect(fresh.towers.text.blocks[0]?.block.child('mmadapter')).toBeUndefined();
    expect(fresh.module.child('temp')).toBeUndefined();

    const reshaped = new Map(tensors);
    reshaped.set('temp', tf.zeros([1]));
    const reshapedFile = path.join(dir, 'reshaped.safetensors');
    await writeSafetensors(reshapedFile, reshaped, { metadata });
    await expect(loadAdapters(reshapedFile, new ToyDualEncoder())).rejects.toThrow(/mis-shaped 1: temp expected \[\] got \[1\]/);

    const wrongKind = path.join(dir, 'kind.safetensors');
    await writeSafetensors(wrongKind, tensors, { metadata: { ...metadata, backbone: 'clip' } });
    await expect(loadAdapters(wrongKind, new ToyDualEncoder())).rejects.toThrow(/__metadata__\.backbone is 'clip' but the backbone is 'toy-dual-encoder'/);

    const badOptions = path.join(dir, 'options.safetensors');
    await writeSafetensors(badOptions, tensors, { metadata: { ...metadata, options: '{"vision":{"heads":"many"}}' } });
    await expect(loadAdapters(badOptions, new ToyDualEncoder())).rejects.toThrow(/options\.safetensors options: vision\.heads/);
    source.dispose();
  });

  it('loads files without metadata (official exports) when told what they hold', async () => {
    const source = new ToyDualEncoder();
    const attachment = attachHarma(source, SMALL);
    randomizeAttachment(attachment, 4);
    const file = path.join(dir, 'official.safetensors');
    await writeSafetensors(file, new Map(attachment.namedParameters().map(([name, p]) => [name, p.value])));
    await expect(loadAdapters(file, new ToyDualEncoder())).rejects.toThrow(/no HarMA\.js adapter metadata/);
    const target = new ToyDualEncoder();
    await loadAdapters(file, target, { adapter: 'harma', options: SMALL });
    expectAllClose(toyFeatures(target)[1] as Float32Array, toyFeatures(source)[1] as Float32Array, { atol: 0 }, 'text features');
    source.dispose();
    target.dispose();
  });

  it('stores half precision on request and round-trips the baselines', async () => {
    const source = new ToyDualEncoder();
    const harma = attachHarma(source, SMALL);
    randomizeAttachment(harma, 5);
    const full = await saveAdapters(path.join(dir, 'f32.safetensors'), source, harma);
    const half = await saveAdapters(path.join(dir, 'f16.safetensors'), source, harma, { floatDtype: 'F16' });
    expect(full.bytes - (await readSafetensorsHeader(full.file)).dataStart).toBe(4 * full.parameters);
    expect(half.bytes - (await readSafetensorsHeader(half.file)).dataStart).toBe(2 * half.parameters);
    const target = new ToyDualEncoder();
    await loadAdapters(half.file, target);
    expectAllClose(toyFeatures(target)[0] as Float32Array, toyFeatures(source)[0] as Float32Array, { atol: 2e-3 }, 'image features from F16');
    harma.detach();

    for (const attach of [() => attachLora(source, { rank: 2 }), () => attachClipAdapter(source, { reduction: 2 })]) {
      const baseline = attach();
      randomizeAttachment(baseline, 6);
      const file = path.join(dir, `${baseline.kind}.safetensors`);
      await saveAdapters(file, source, baseline);
      const fresh = new ToyDualEncoder();
      const loaded = await loadAdapters(file, fresh);
      expect(loaded.kind).toBe(baseline.kind);
      expect(loaded.options).toEqual(baseline.options);
      expectAllClose(toyFeatures(fresh)[1] as Float32Array, toyFeatures(source)[1] as Float32Array, { atol: 0 }, `${baseline.kind} text features`);
      baseline.detach();
      fresh.dispose();
    }
    source.dispose();
    target.dispose();
  });
});
