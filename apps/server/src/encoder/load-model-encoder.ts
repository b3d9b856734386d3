import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import path from 'node:path';
import { isAdapterParameterName, loadAdapters } from '@harma/adapters';
import { ClipTokenizer, decodeImage, normalizePixels, readBpeVocabulary, registerClipBackbones, resizeForSpec, type ClipConfig } from '@harma/backbones';
import { backboneRegistry, createBackbone, initBackend, type ImagePreprocessSpec } from '@harma/core';
import { createOrtEncoder, createTfjsEncoder, EXPORT_FILES, readExportConfig, type Encoder, type ExportConfig } from '@harma/inference';
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
  /** Vocabulary source (see `readBpeVocabulary`). Default: the file config.json names, else the model folder. */
  vocabulary?: string;
  /** tfjs engine: backbone weight files. */
  weights?: readonly string[];
  /** tfjs engine: adapters file (`saveAdapters`). */
  adapters?: string;
  /** Most items per model call (concurrent requests are merged up to this). Default: 32. */
  maxBatch?: number;
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

function vocabularySource(dir: string, config: ExportConfig, given: string | undefined): string {
  if (given !== undefined) return given;
  const named = config.tokenizer.vocabulary;
  if (named !== undefined) {
    const file = path.resolve(dir, named);
    if (existsSync(file)) return file;
  }
  return dir;
}

async function createTokenizer(dir: string, config: ExportConfig, given: string | undefined): Promise<ClipTokenizer> {
  const source = vocabularySource(dir, config, given);
  let tokenizer: ClipTokenizer;
  try {
    tokenizer = new ClipTokenizer(await readBpeVocabulary(source), { contextLength: config.tokenizer.contextLength });
  } catch (error) {
    throw new Error(
      `model ${dir}: no usable BPE vocabulary at ${source} (${error instanceof Error ? error.message : String(error)}); put the vocabulary the model was trained with in the model folder or pass --vocabulary`,
      { cause: error },
    );
  }
  const known = config.tokenizer.vocabularySize;
  if (known !== undefined && tokenizer.vocabSize > known) {
    throw new Error(`model ${dir}: the vocabulary ${tokenizer.vocabulary.source} has ${tokenizer.vocabSize} ids but the text tower embeds ${known}; it is not the model's vocabulary`);
  }
  return tokenizer;
}

async function createOrt(dir: string, config: ExportConfig, options: LoadModelOptions): Promise<{ encoder: Encoder; files: string[] }> {
  const tower = (name: 'vision' | 'text'): string => path.join(dir, options.precision === 'int8' ? (config[name].quantized ?? config[name].file) : config[name].file);
  const encoder = await createOrtEncoder(dir, { precision: options.precision ?? 'fp32', threads: options.threads, spinning: false, batchSize: options.maxBatch ?? 32 });
  return { encoder, files: [path.join(dir, EXPORT_FILES.config), tower('vision'), tower('text')] };
}

async function createTfjs(dir: string, config: ExportConfig, options: LoadModelOptions): Promise<{ encoder: Encoder; files: string[] }> {
  const weights = options.weights ?? [];
  if (weights.length === 0) throw new Error(`model ${dir}: the tfjs engine needs the backbone weights (--weights FILE) and, for an adapted model, its adapters (--adapters FILE)`);
  if (config.backbone.kind === 'clip' && !backboneRegistry.has('clip')) registerClipBackbones();
  await initBackend();
  const backbone = await createBackbone(config.backbone.kind, { config: config.backbone.model as ClipConfig, weights: [...weights], ignore: isAdapterParameterName });
  try {
    if (options.adapters !== undefined) await loadAdapters(options.adapters, backbone);
  } catch (error) {
    backbone.dispose();
    throw error;
  }
  const encoder = createTfjsEncoder(backbone, { ownsBackbone: true, batchSize: options.maxBatch ?? 32 });
  return { encoder, files: [path.join(dir, EXPORT_FILES.config), ...weights, ...(options.adapters === undefined ? [] : [options.adapters])] };
}

/** Run both towers once: a broken graph or a missing runtime fails at start, not on the first query. */
async function warmUp(encoder: Encoder, contextLength: number): Promise<void> {
  const ids = new Int32Array(contextLength);
  await encoder.encodeTexts(ids, 1);
  await encoder.encodeImages(new Float32Array(3 * encoder.imageSize * encoder.imageSize), 1);
}

/**
 * The server's encoder for a model folder written by `harma export` (@harma/inference's
 * `exportOnnx`): config.json gives preprocessing, tokenizer and embedding width; ONNX Runtime runs
 * the graphs (tfjs on the training-time model is the fallback). Both towers are run once at load.
 * Concurrent requests are merged into shared model calls.
 */
export async function loadModelEncoder(dir: string, options: LoadModelOptions): Promise<ServerEncoder> {
  const config = await readExportConfig(dir);
  const tokenizer = await createTokenizer(dir, config, options.vocabulary);
  const engine = options.engine ?? 'auto';
  const useOrt = engine === 'ort' || (engine === 'auto' && existsSync(path.join(dir, config.vision.file)) && existsSync(path.join(dir, config.text.file)));
  let loaded = useOrt ? await createOrt(dir, config, options) : await createTfjs(dir, config, options);
  try {
    await warmUp(loaded.encoder, config.tokenizer.contextLength);
  } catch (error) {
    await loaded.encoder.dispose();
    if (engine !== 'auto' || !useOrt || options.weights === undefined) throw error;
    options.logger.warn({ err: error }, 'ONNX Runtime could not run the model; falling back to tfjs');
    loaded = await createTfjs(dir, config, options);
    await warmUp(loaded.encoder, config.tokenizer.contextLength).catch(async (fallbackError: unknown) => {
      await loaded.encoder.dispose();
      throw fallbackError;
    });
  }
  const { encoder } = loaded;
  try {
    if (encoder.embedDim !== config.embedDim) throw new Error(`model ${dir}: the ${encoder.engine} encoder gives ${encoder.embedDim}-dimensional embeddings, config.json says ${config.embedDim}`);
  } catch (error) {
    await encoder.dispose();
    throw error;
  }
  const fingerprint = await hashFiles(loaded.files, `${encoder.engine}:${options.precision ?? 'fp32'}`);
  const spec: ImagePreprocessSpec = config.preprocess;
  const { embedDim } = config;
  const split = (values: Float32Array, count: number): Float32Array[] => Array.from({ length: count }, (_, i) => values.slice(i * embedDim, (i + 1) * embedDim));
  const maxBatch = options.maxBatch ?? 32;
  const texts = new NaturalBatcher<string, Float32Array>(async (items) => split(await encoder.encodeTexts(tokenizer.encode(items), items.length), items.length), maxBatch);
  const images = new NaturalBatcher<PreparedImage, Float32Array>(async (items) => {
    const perImage = 3 * spec.size * spec.size;
    const pixels = new Float32Array(items.length * perImage);
    items.forEach((item, i) => pixels.set(item.pixels, i * perImage));
    return split(await encoder.encodeImages(pixels, items.length), items.length);
  }, maxBatch);
  const model = config.backbone.model as Partial<ClipConfig> | undefined;
  options.logger.info({ model: dir, engine: encoder.engine, precision: options.precision ?? 'fp32', embedDim, imageSize: spec.size, vocabulary: tokenizer.vocabulary.source }, 'model loaded');
  return {
    embedDim,
    fingerprint,
    info: {
      engine: encoder.engine,
      precision: encoder.engine === 'ort' ? (options.precision ?? 'fp32') : 'fp32',
      backbone: config.backbone.kind,
      parameters: config.backbone.parameters,
      embedDim,
      imageSize: spec.size,
      contextLength: config.tokenizer.contextLength,
      ...(model?.vision?.width === undefined ? {} : { visionWidth: model.vision.width, visionLayers: model.vision.layers ?? 0 }),
      fingerprint,
    },
    async prepareImage(source, prepareOptions) {
      const decoded = await decodeImage(source, { maxPixels: prepareOptions.maxPixels, name: prepareOptions.name });
      const pixels = normalizePixels(await resizeForSpec(decoded, spec), spec);
      return { pixels, format: decoded.original.format, width: decoded.width, height: decoded.height };
    },
    encodeImages: (items) => images.submit(items),
    encodeTexts: (items) => texts.submit(items),
    close: () => encoder.dispose(),
  };
}
