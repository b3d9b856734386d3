import { existsSync } from 'node:fs';
import path from 'node:path';
import { createBackbone, importPlugin, initBackend, loadTokenizer, type ImagePreprocessSpec, type TextTokenizer, type TokenizerDescription } from '@harma/core';
import { isAdapterParameterName, loadAdapters } from '@harma/adapters';
import { ensureBuiltInBackbones } from '@harma/backbones';
import type { Encoder } from '../encoder/encoder';
import { createOrtEncoder, type OrtPrecision } from '../encoder/ort-encoder';
import { createTfjsEncoder } from '../encoder/tfjs-encoder';
import { EXPORT_FILES, readExportConfig, tokenizerDescriptionOf, type ExportConfig } from '../export/export-config';
import type { OrtSessionSettings } from '../runtime/ort-runtime';

/** Which implementation runs an exported model's towers. */
export type ExportedModelEngine = 'ort' | 'tfjs' | 'auto';

export interface LoadExportedModelOptions extends OrtSessionSettings {
  /**
   * `ort`: the exported graphs on ONNX Runtime; `tfjs`: the training-time model rebuilt from
   * `weights` (+ `adapters`) through the backbone registry; `auto`: ONNX Runtime when the folder
   * has its graphs, tfjs otherwise or when ONNX Runtime cannot run them and `weights` are given.
   * Default: 'ort'.
   */
  engine?: ExportedModelEngine;
  /** ONNX Runtime graphs: float32, or their int8 weight-quantised variants. Default: 'fp32'. */
  precision?: OrtPrecision;
  /** Items per model call. Default: 32. */
  batchSize?: number;
  /** tfjs engine: the backbone's weight files. */
  weights?: readonly string[];
  /** tfjs engine: the adapters file (`saveAdapters`) to attach. */
  adapters?: string;
  /** Read the tokenizer from this file or folder instead of the files the folder names (version-1 folders whose vocabulary lives elsewhere). */
  vocabulary?: string;
  /** Run both towers once, so that a broken graph or runtime fails here and not on the first query. Default: true. */
  warmUp?: boolean;
  /** Called when `auto` falls back from ONNX Runtime to tfjs, with ONNX Runtime's error. */
  onFallback?: (error: unknown) => void;
}

/**
 * An exported model folder, opened: its config, the tokenizer it saved, the preprocessing its
 * images need, and an encoder on the chosen engine. Everything that reads exports uses this.
 */
export interface ExportedModel {
  readonly dir: string;
  readonly config: ExportConfig;
  /** The folder uses the first format version (its tokenizer is a vocabulary file users bring). */
  readonly legacy: boolean;
  readonly tokenizer: TextTokenizer;
  /** How images become the vision tower's input (`@harma/data`'s `resizeForSpec` + `normalizePixels`). */
  readonly preprocess: ImagePreprocessSpec;
  readonly embedDim: number;
  readonly encoder: Encoder;
  /** The precision the encoder runs at (tfjs: always fp32). */
  readonly precision: OrtPrecision;
  /** The files the encoder's computation was read from: what a cache of its embeddings depends on. */
  readonly files: readonly string[];
  /** Free the encoder (and a tfjs backbone it built). */
  dispose(): Promise<void>;
}

interface LoadedEncoder {
  encoder: Encoder;
  precision: OrtPrecision;
  files: string[];
}

/** The plug-in the folder names, imported when the kinds it needs are not registered yet. */
async function importRecordedPlugin(dir: string, config: ExportConfig, needsBackbone: boolean): Promise<void> {
  const { plugin, kind } = config.backbone;
  if (plugin === undefined) return;
  try {
    await importPlugin(plugin, { tokenizer: config.tokenizer.kind, ...(needsBackbone ? { backbone: kind } : {}) }, { from: dir });
  } catch (error) {
    throw new Error(`model ${dir}: ${(error as Error).message}`, { cause: error });
  }
}

async function openTokenizer(dir: string, config: ExportConfig, legacy: boolean, vocabulary: string | undefined): Promise<TextTokenizer> {
  const described = tokenizerDescriptionOf(config);
  const description: TokenizerDescription = vocabulary === undefined ? described : { ...described, files: [path.resolve(vocabulary)] };
  try {
    return await loadTokenizer(dir, description);
  } catch (error) {
    const advice = legacy
      ? 'put the vocabulary the model was trained with in the model folder, pass it as the vocabulary option (--vocabulary), or export the model again with harma export'
      : 'the folder is incomplete or altered; export the model again with harma export';
    throw new Error(`model ${dir}: cannot read its ${description.kind} tokenizer (${(error as Error).message}); ${advice}`, { cause: error });
  }
}

async function openOrt(dir: string, config: ExportConfig, options: LoadExportedModelOptions): Promise<LoadedEncoder> {
  const precision = options.precision ?? 'fp32';
  const file = (tower: 'vision' | 'text'): string => path.join(dir, precision === 'int8' ? (config[tower].quantized ?? config[tower].file) : config[tower].file);
  const encoder = await createOrtEncoder(dir, { ...options, precision, batchSize: options.batchSize });
  return { encoder, precision, files: [path.join(dir, EXPORT_FILES.config), file('vision'), file('text')] };
}

async function openTfjs(dir: string, config: ExportConfig, options: LoadExportedModelOptions): Promise<LoadedEncoder> {
  const weights = options.weights ?? [];
  if (weights.length === 0) throw new Error(`model ${dir}: the tfjs engine needs the backbone weights (weights option, --weights FILE) and, for an adapted model, its adapters (--adapters FILE)`);
  await initBackend();
  // HarMA names a training checkpoint holds besides the backbone's are the adapters' to load, not the backbone's.
  const backbone = await createBackbone(config.backbone.kind, { config: config.backbone.config, weights: [...weights], ignore: isAdapterParameterName });
  try {
    if (options.adapters !== undefined) await loadAdapters(options.adapters, backbone);
  } catch (error) {
    backbone.dispose();
    throw error;
  }
  const encoder = createTfjsEncoder(backbone, { ownsBackbone: true, batchSize: options.batchSize });
  return { encoder, precision: 'fp32', files: [path.join(dir, EXPORT_FILES.config), ...weights, ...(options.adapters === undefined ? [] : [options.adapters])] };
}

/** Run both towers once on zeros. */
async function warmUp(encoder: Encoder): Promise<void> {
  await encoder.encodeTexts(new Int32Array(encoder.contextLength), 1);
  await encoder.encodeImages(new Float32Array(3 * encoder.imageSize * encoder.imageSize), 1);
}

async function openEncoder(dir: string, config: ExportConfig, options: LoadExportedModelOptions): Promise<LoadedEncoder> {
  const engine = options.engine ?? 'ort';
  const hasGraphs = existsSync(path.join(dir, config.vision.file)) && existsSync(path.join(dir, config.text.file));
  const useOrt = engine === 'ort' || (engine === 'auto' && hasGraphs);
  const check = async (loaded: LoadedEncoder): Promise<LoadedEncoder> => {
    try {
      if (options.warmUp ?? true) await warmUp(loaded.encoder);
      if (loaded.encoder.embedDim !== config.embedDim) {
        throw new Error(`model ${dir}: the ${loaded.encoder.engine} encoder gives ${loaded.encoder.embedDim}-dimensional embeddings, config.json says ${config.embedDim}`);
      }
      return loaded;
    } catch (error) {
      await loaded.encoder.dispose();
      throw error;
    }
  };
  if (!useOrt) return check(await openTfjs(dir, config, options));
  try {
    return await check(await openOrt(dir, config, options));
  } catch (error) {
    if (engine !== 'auto' || options.weights === undefined) throw error;
    options.onFallback?.(error);
    return check(await openTfjs(dir, config, options));
  }
}

/**
 * Open a model folder written by `harma export` (`exportOnnx`): read and validate its config (both
 * format versions), import the plug-in it names when its kinds are not registered, rebuild the
 * tokenizer it saved, and start an encoder — ONNX Runtime on its graphs, or tfjs on the training-time
 * model — checked on one input per tower. The server, `harma eval --model` and the benches open
 * exports through this one function.
 */
export async function loadExportedModel(dir: string, options: LoadExportedModelOptions = {}): Promise<ExportedModel> {
  const { config, legacy } = await readExportConfig(dir);
  ensureBuiltInBackbones();
  await importRecordedPlugin(dir, config, options.engine === 'tfjs' || options.engine === 'auto');
  const tokenizer = await openTokenizer(dir, config, legacy, options.vocabulary);
  const loaded = await openEncoder(dir, config, options);
  return {
    dir,
    config,
    legacy,
    tokenizer,
    preprocess: config.preprocess,
    embedDim: config.embedDim,
    encoder: loaded.encoder,
    precision: loaded.precision,
    files: loaded.files,
    dispose: () => loaded.encoder.dispose(),
  };
}
