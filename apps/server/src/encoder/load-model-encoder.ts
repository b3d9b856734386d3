import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { PreprocessPool } from '@harma/data';
import { loadExportedModel } from '@harma/inference';
import type { Logger } from 'pino';
import type { EngineChoice } from '../options';
import { NaturalBatcher } from './natural-batcher';
import type { PreparedImage, ServerEncoder } from './server-encoder';

export interface LoadModelOptions {
  engine?: EngineChoice;
  /** ONNX Runtime weights. Default: fp32. */
  precision?: 'fp32' | 'int8';
  /** ONNX Runtime threads per call. Default: every core. */
  threads?: number;
  /** Read the tokenizer from this file or folder instead of the files the model folder names. */
  vocabulary?: string;
  /** tfjs engine: backbone weight files. */
  weights?: readonly string[];
  /** tfjs engine: adapters file (`saveAdapters`). */
  adapters?: string;
  /** Most items per model call (concurrent requests are merged up to this). Default: 32. */
  maxBatch?: number;
  /** Worker threads decoding and preprocessing images. Default: `@harma/data`'s `defaultPreprocessThreads()` (cores − 1, 1 to 4). */
  imageThreads?: number;
  logger: Logger;
}

async function hashFiles(files: readonly string[], extra: string): Promise<string> {
  const hash = createHash('sha256').update(extra);
  for (const file of files) {
    hash.update(`\0${path.basename(file)}\0`);
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  }
  return hash.digest('hex').slice(0, 32);
}

/**
 * The server's encoder for a model folder written by `harma export`, opened with
 * `@harma/inference`'s `loadExportedModel` (config, the tokenizer it saved, preprocessing, ONNX
 * Runtime or the tfjs fallback, both towers run once). Concurrent requests are merged into shared
 * model calls; images are decoded with the pixel limit and preprocessed as the model was trained,
 * in worker threads (`PreprocessPool`): an image at the pixel limit takes seconds, which would
 * otherwise stop every other request.
 */
export async function loadModelEncoder(dir: string, options: LoadModelOptions): Promise<ServerEncoder> {
  const maxBatch = options.maxBatch ?? 32;
  const model = await loadExportedModel(dir, {
    engine: options.engine ?? 'auto',
    precision: options.precision,
    threads: options.threads,
    spinning: false,
    batchSize: maxBatch,
    weights: options.weights,
    adapters: options.adapters,
    vocabulary: options.vocabulary,
    onFallback: (error) => options.logger.warn({ err: error }, 'ONNX Runtime could not run the model; falling back to tfjs'),
  });
  const { encoder, tokenizer, preprocess: spec, embedDim, config } = model;
  let fingerprint: string;
  try {
    fingerprint = await hashFiles(model.files, `${encoder.engine}:${model.precision}`);
  } catch (error) {
    await model.dispose();
    throw error;
  }
  const split = (values: Float32Array, count: number): Float32Array[] => Array.from({ length: count }, (_, i) => values.slice(i * embedDim, (i + 1) * embedDim));
  const texts = new NaturalBatcher<string, Float32Array>(async (items) => split(await encoder.encodeTexts(tokenizer.encode(items), items.length), items.length), maxBatch);
  const images = new NaturalBatcher<PreparedImage, Float32Array>(async (items) => {
    const perImage = 3 * spec.size * spec.size;
    const pixels = new Float32Array(items.length * perImage);
    items.forEach((item, i) => pixels.set(item.pixels, i * perImage));
    return split(await encoder.encodeImages(pixels, items.length), items.length);
  }, maxBatch);
  const preprocessing = new PreprocessPool(options.imageThreads === undefined ? {} : { threads: options.imageThreads });
  const towers = config.backbone.towers;
  options.logger.info(
    { model: dir, engine: encoder.engine, precision: model.precision, embedDim, imageSize: spec.size, tokenizer: tokenizer.kind, imageThreads: preprocessing.threads },
    `model loaded: ${config.backbone.kind} on ${encoder.engine === 'ort' ? `ONNX Runtime (${model.precision})` : 'tfjs'}`,
  );
  return {
    embedDim,
    fingerprint,
    info: {
      engine: encoder.engine,
      precision: model.precision,
      backbone: config.backbone.kind,
      parameters: config.backbone.parameters,
      embedDim,
      imageSize: spec.size,
      contextLength: tokenizer.contextLength,
      tokenizer: tokenizer.kind,
      ...(towers === undefined ? {} : { visionWidth: towers.vision.width, visionLayers: towers.vision.layers }),
      fingerprint,
    },
    prepareImage: (source, prepareOptions) => preprocessing.preprocess(source, spec, { maxPixels: prepareOptions.maxPixels, name: prepareOptions.name }),
    encodeImages: (items) => images.submit(items),
    encodeTexts: (items) => texts.submit(items),
    async close() {
      await preprocessing.close();
      await model.dispose();
    },
  };
}
