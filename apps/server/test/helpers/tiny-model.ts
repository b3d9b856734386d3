import { mkdir, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { attachHarma, isAdapterParameterName, saveAdapters } from '@harma/adapters';
import { ClipTokenizer, createClip, createClipResNet, trainBpeVocabulary, type ClipConfig, type ClipResNetConfig } from '@harma/backbones';
import { SeededRandom, normalTensor, useBackend, writeSafetensors } from '@harma/core';
import { syntheticVocabulary } from '@harma/data';
import { exportOnnx } from '@harma/inference';
import { writeTestImages } from './test-images';

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

/** A tiny CLIP ResNet (one Bottleneck per stage, width 8) with the text tower of `tinyClipConfig`. */
export function tinyClipResNetConfig(embedDim = 32): ClipResNetConfig {
  const { text, activation, layerNormEps } = tinyClipConfig(embedDim);
  return { embedDim, vision: { imageSize: 32, layers: [1, 1, 1, 1], width: 8, heads: 2 }, text, activation, layerNormEps, batchNorm: { eps: 1e-5, momentum: 0.1 } };
}

/**
 * Build the tiny CLIP (or with `resnet`, the tiny CLIP ResNet, HarMA on its text tower only) with seeded random weights and HarMA adapters (every adapter weight random,
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
