import { mkdir, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { attachHarma, isAdapterParameterName, saveAdapters } from '@harma/adapters';
import { ClipResNetModel, ClipTokenizer, createClip, createClipResNet, trainBpeVocabulary, type ClipConfig, type ClipResNetConfig } from '@harma/backbones';
import { SeededRandom, normalTensor, useBackend, writeSafetensors } from '@harma/core';
import { preprocessImage, syntheticVocabulary } from '@harma/data';
import { exportOnnx } from '@harma/inference';
import { testImageBytes, writeTestImages } from './test-images';

/** Seeds of the test images a tiny CLIP ResNet's BatchNorm statistics are computed on (none is a gallery image's). */
const CALIBRATION_IMAGES = Array.from({ length: 16 }, (_, i) => `batch-norm-calibration-${i}`);

/** A tiny CLIP (2 blocks per tower, width 32) with HarMA adapters: real graphs, milliseconds per call. */
export function tinyClipConfig(embedDim = 32): ClipConfig {
  return {
    embedDim,
    vision: { imageSize: 32, patchSize: 8, width: 32, layers: 2, heads: 2, mlpRatio: 4 },
    text: { contextLength: 16, vocabSize: 1000, width: 32, layers: 2, heads: 2, mlpRatio: 4 },
    activation: 'quick_gelu',
    layerNormEps: 1e-5,
  };
}

/**
 * A tiny CLIP ResNet (one Bottleneck per stage, width 8) with the text tower of `tinyClipConfig`.
 * BatchNorm momentum 1: one training-mode pass sets the running statistics to that pass's
 * (`calibrateBatchNorm`); evaluation, which is all these tests do, never reads the momentum.
 */
export function tinyClipResNetConfig(embedDim = 32): ClipResNetConfig {
  const { text, activation, layerNormEps } = tinyClipConfig(embedDim);
  return { embedDim, vision: { imageSize: 32, layers: [1, 1, 1, 1], width: 8, heads: 2 }, text, activation, layerNormEps, batchNorm: { eps: 1e-5, momentum: 1 } };
}

/**
 * Make a random CLIP ResNet's image tower behave like a trained one: every BatchNorm gets a scale
 * that is not its initial one (open_clip starts each residual branch's last at 0), and running
 * statistics of real activations — those of one training-mode pass over 16 test images that are
 * no gallery's (the tiny config's momentum 1 keeps that pass's alone). With the initial
 * statistics (mean 0, variance 1) a random tower's activations shrink layer by layer and every
 * image gets the same embedding (cosine 1.0000 between any two), so that no ranking of a gallery
 * would mean anything.
 */
async function calibrateBatchNorm(model: ClipResNetModel, rng: SeededRandom): Promise<void> {
  const { size } = model.preprocess;
  const pixels = await Promise.all(CALIBRATION_IMAGES.map(async (seed) => preprocessImage(await testImageBytes(seed), model.preprocess)));
  const calibration = new Float32Array(pixels.length * 3 * size * size);
  pixels.forEach((image, i) => calibration.set(image, i * image.length));
  tf.tidy(() => {
    for (const [name, parameter] of model.module.namedParameters()) {
      if (/\.bn\d\.weight$|downsample\.1\.weight$/.test(name)) parameter.assign(tf.tensor(rng.fillUniform(parameter.size, 0.5, 1.5), parameter.shape));
    }
  });
  if (model.config.batchNorm.momentum !== 1) throw new Error('calibrateBatchNorm: one pass sets the running statistics only with BatchNorm momentum 1');
  model.setTraining(true);
  tf.tidy(() => model.encodeImage(tf.tensor(calibration, [pixels.length, 3, size, size])));
  model.setTraining(false);
}

/**
 * Build the tiny CLIP (or with `resnet`, the tiny CLIP ResNet, HarMA on its text tower only, its
 * BatchNorm calibrated by `calibrateBatchNorm`) with seeded random weights and HarMA adapters (every adapter weight random,
 * so that the adapters change the embeddings), and export it with @harma/inference to `dir`
 * (config.json, onnx/vision_model.onnx, onnx/text_model.onnx) with a small BPE vocabulary trained on the
 * synthetic data set's words (saved by the export as `vocab.json` + `merges.txt`). With `quantize`, also the int8 graphs
 * (`onnx/*_quantized.onnx`). With `tfjsFiles`, also write the training-time
 * files the tfjs engine loads: `backbone.safetensors` (plain CLIP) and `adapters.safetensors`.
 */
export async function exportTinyModel(dir: string, options: { embedDim?: number; seed?: number; tfjsFiles?: boolean; quantize?: boolean; resnet?: boolean } = {}): Promise<string> {
  await useBackend('cpu');
  await mkdir(dir, { recursive: true });
  const words = syntheticVocabulary();
  const vocabulary = trainBpeVocabulary([words.join(' '), ...words], { merges: 150, minFrequency: 1 });
  const rng = new SeededRandom(options.seed ?? 7);
  const tokenizer = new ClipTokenizer(vocabulary, { contextLength: tinyClipConfig().text.contextLength });
  const model =
    options.resnet === true
      ? createClipResNet(tinyClipResNetConfig(options.embedDim), { rng: rng.derive('clip-resnet'), tokenizer })
      : createClip(tinyClipConfig(options.embedDim), { rng: rng.derive('clip'), tokenizer });
  try {
    if (model instanceof ClipResNetModel) await calibrateBatchNorm(model, rng.derive('batch-norm'));
    // A ResNet's image tower offers no sites: its vision options attach nothing, as in the official code.
    const attachment = attachHarma(model, { vision: { bottleneck: 8, heads: 2 }, text: { bottleneck: 8, heads: 2 }, bishare: 'text', bishareHeads: 2, rng: rng.derive('harma') });
    const adapterRng = rng.derive('trained-adapters');
    for (const [name, parameter] of model.module.namedParameters()) {
      if (isAdapterParameterName(name) && name !== 'temp') parameter.assign(tf.tidy(() => tf.add(parameter.value, normalTensor(parameter.shape, adapterRng, 0.2))));
    }
    if (options.tfjsFiles === true) {
      const plain = new Map(model.module.namedParameters().filter(([name]) => !isAdapterParameterName(name)).map(([name, parameter]) => [name, parameter.value] as const));
      await writeSafetensors(path.join(dir, 'backbone.safetensors'), plain);
      await saveAdapters(path.join(dir, 'adapters.safetensors'), model, attachment);
    }
    await exportOnnx(model, dir, { quantize: options.quantize ?? false, metadata: { purpose: '@harma/server tests' } });
  } finally {
    model.dispose();
  }
  return dir;
}

/** What `tinyModelAndGallery` made: the temporary root, the exported model in it and a gallery of test images. */
export interface TinyModelAndGallery {
  root: string;
  model: string;
  gallery: string;
  /** The gallery-relative paths of the images written. */
  images: string[];
}

/** A temporary folder (`prefix` + random) holding a tiny exported model (`model/`) and `count` test images (`gallery/`). */
export async function tinyModelAndGallery(prefix: string, count: number, exportOptions: Parameters<typeof exportTinyModel>[1] = {}): Promise<TinyModelAndGallery> {
  const root = await mkdtemp(path.join(os.tmpdir(), prefix));
  const model = await exportTinyModel(path.join(root, 'model'), exportOptions);
  const gallery = path.join(root, 'gallery');
  return { root, model, gallery, images: await writeTestImages(gallery, count) };
}
