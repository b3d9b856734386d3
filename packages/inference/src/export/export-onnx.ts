import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { requireTokenizer, writeFileAtomic, type Backbone, type TextTokenizer, type TowerName } from '@harma/core';
import type { DynamicConstantRecipe } from '../convert/dynamic-constants';
import { DEFAULT_FUSIONS } from '../convert/fusions';
import { traceToGraph } from '../convert/trace-to-graph';
import { encodeOnnxModel, type OnnxModel } from '@harma/core';
import { quantizeModelInt8, type QuantizeOptions, type QuantizeReport } from '../quantize/quantize-int8';
import { INFERENCE_VERSION } from '../version';
import { EXPORT_FILES, EXPORT_FORMAT, EXPORT_FORMAT_VERSION, parseExportConfig, type ExportConfig } from './export-config';
import { huggingFacePreprocessorConfig } from './preprocessor-config';
import { traceTower } from './tower-trace';

/** ONNX operator set of exported graphs (20: `Gelu`; ≥ 17: `LayerNormalization`) and the IR version it needs. */
export const EXPORT_OPSET = 20;
const IR_VERSION = 9;

/** Names of each tower's graph input and output. */
export const TOWER_IO = {
  vision: { input: 'pixel_values', output: 'image_embeds', inputType: 'float32' },
  text: { input: 'input_ids', output: 'text_embeds', inputType: 'int64' },
} as const;

export interface BuildTowerOptions {
  /** Rewrite traced patterns into fused operators (LayerNormalization, Gelu, QuickGelu). Default: true. */
  fuse?: boolean;
  /** Batch sizes of the two traces. Default: [2, 3]. */
  traceBatchSizes?: [number, number];
  /** Recipes for tensors the forward builds on the host from input values. Default: `DEFAULT_RECIPES`. */
  recipes?: readonly DynamicConstantRecipe[];
}

/**
 * The ONNX model of one tower of `backbone` with everything attached to it (adapters included),
 * traced on the active tfjs backend: input `pixel_values` [batch, 3, size, size] float32 or
 * `input_ids` [batch, context] int64, output the L2-normalised embeddings [batch, embedDim].
 */
export function buildTowerModel(backbone: Backbone, tower: TowerName, options: BuildTowerOptions = {}): OnnxModel {
  const io = TOWER_IO[tower];
  const trace = traceTower(backbone, tower, { batchSizes: options.traceBatchSizes });
  const graph = traceToGraph(trace, {
    name: `${backbone.kind}_${tower}`,
    inputs: [{ name: io.input, dtype: io.inputType }],
    output: io.output,
    recipes: options.recipes,
    rewrites: options.fuse === false ? [] : DEFAULT_FUSIONS,
    docString: `${tower} tower of a ${backbone.kind} backbone with its attachments; output L2-normalised`,
  });
  return {
    irVersion: IR_VERSION,
    opsetImport: [
      { domain: '', version: EXPORT_OPSET },
      { domain: 'com.microsoft', version: 1 },
    ],
    producerName: '@harma/inference',
    producerVersion: INFERENCE_VERSION,
    graph,
  };
}

export interface ExportOnnxOptions extends BuildTowerOptions {
  /** Also write int8 weight-quantised graphs (`*_quantized.onnx`), with these options. Default: true. */
  quantize?: boolean | QuantizeOptions;
  /** The tokenizer saved into the folder. Default: the backbone's own (`Backbone.tokenizer`), which must then exist. */
  tokenizer?: TextTokenizer;
  /**
   * The module that registers the backbone's kind and tokenizer when they are not built in (a
   * package specifier or an absolute path), recorded so that loaders import it. Default: none.
   */
  plugin?: string;
  /** Free-form JSON recorded in config.json's harma section (adapter options, checkpoint names). */
  metadata?: Record<string, unknown>;
}

export interface TowerExport {
  file: string;
  quantizedFile?: string;
  bytes: number;
  quantizedBytes?: number;
  nodes: number;
  initializers: number;
  /** Node count by operator type. */
  operators: Record<string, number>;
  quantization?: QuantizeReport;
}

export interface OnnxExport {
  dir: string;
  config: ExportConfig;
  vision: TowerExport;
  text: TowerExport;
}

function operatorCounts(model: OnnxModel): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const node of model.graph.node) {
    const key = node.domain ? `${node.domain}.${node.opType}` : node.opType;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

async function writeTower(dir: string, tower: TowerName, model: OnnxModel, quantize: ExportOnnxOptions['quantize']): Promise<TowerExport> {
  const file = tower === 'vision' ? EXPORT_FILES.vision : EXPORT_FILES.text;
  const bytes = encodeOnnxModel(model);
  await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
  await writeFileAtomic(path.join(dir, file), bytes);
  const out: TowerExport = {
    file,
    bytes: bytes.byteLength,
    nodes: model.graph.node.length,
    initializers: model.graph.initializer.length,
    operators: operatorCounts(model),
  };
  if (quantize !== false) {
    const quantizedFile = tower === 'vision' ? EXPORT_FILES.visionQuantized : EXPORT_FILES.textQuantized;
    const { model: quantized, report } = quantizeModelInt8(model, quantize === true || quantize === undefined ? {} : quantize);
    const quantizedBytes = encodeOnnxModel(quantized);
    await writeFileAtomic(path.join(dir, quantizedFile), quantizedBytes);
    Object.assign(out, { quantizedFile, quantizedBytes: quantizedBytes.byteLength, quantization: report });
  }
  return out;
}

/**
 * Export both towers of an adapted backbone to `dir` as a Hugging Face model folder:
 * `onnx/vision_model.onnx`, `onnx/text_model.onnx` (and their `*_quantized.onnx` int8 variants
 * unless `quantize: false`), the tokenizer's files, `preprocessor_config.json`, and `config.json`
 * holding transformers' config of the backbone (`Backbone.huggingFaceConfig`, for CLIP
 * `model_type: "clip"`) and HarMA.js's own section `harma` (description, preprocessing,
 * tokenizer, graphs). transformers.js opens a CLIP export with its standard CLIP classes; a
 * backbone without a transformers class (CLIP ResNet) gets no top-level fields, and
 * `harma.transformers` says so (`modelType: null` and a note), with transformers' config of its
 * text tower alone when it has one (`textConfig`, `Backbone.huggingFaceTextConfig`). The
 * graphs are traced from the tfjs computation on the active backend, so whatever is attached to
 * the backbone is baked in. Check the result with `verifyExport`; open it with `loadExportedModel`.
 */
export async function exportOnnx(backbone: Backbone, dir: string, options: ExportOnnxOptions = {}): Promise<OnnxExport> {
  const tokenizer = options.tokenizer ?? requireTokenizer(backbone, `export to ${dir}`);
  if (tokenizer.contextLength !== backbone.contextLength || tokenizer.vocabularySize > backbone.vocabularySize) {
    throw new Error(
      `export to ${dir}: the ${tokenizer.kind} tokenizer (${tokenizer.contextLength} ids a caption, ${tokenizer.vocabularySize} ids) does not fit the ${backbone.kind} backbone ` +
        `(${backbone.contextLength} positions, ${backbone.vocabularySize} token rows)`,
    );
  }
  await mkdir(dir, { recursive: true });
  const towers = {} as Record<TowerName, TowerExport>;
  for (const tower of ['vision', 'text'] as const) {
    // One tower at a time: a ViT-B/32 graph holds its weights twice while it is serialised.
    const model = buildTowerModel(backbone, tower, options);
    towers[tower] = await writeTower(dir, tower, model, options.quantize);
  }
  const size = backbone.preprocess.size;
  const description = backbone.describe();
  const towerSize = (tower: TowerName): { width: number; layers: number } => ({ width: backbone.towers[tower].width, layers: backbone.towers[tower].blocks.length });
  const huggingFace = backbone.huggingFaceConfig?.(tokenizer);
  const modelType = huggingFace?.model_type;
  // Recorded only where the whole model has no transformers config: a CLIP's config already holds its text_config.
  const textConfig = typeof modelType === 'string' ? undefined : backbone.huggingFaceTextConfig?.(tokenizer);
  const config = parseExportConfig({
    format: EXPORT_FORMAT,
    formatVersion: EXPORT_FORMAT_VERSION,
    producer: { name: '@harma/inference', version: INFERENCE_VERSION },
    opset: EXPORT_OPSET,
    backbone: {
      kind: description.kind,
      specificationVersion: description.specificationVersion,
      config: description.config,
      ...(options.plugin === undefined ? {} : { plugin: options.plugin }),
      parameters: backbone.module.countParameters().total,
      towers: { vision: towerSize('vision'), text: towerSize('text') },
    },
    embedDim: backbone.embedDim,
    normalized: true,
    preprocess: backbone.preprocess,
    transformers:
      typeof modelType === 'string'
        ? { modelType }
        : {
            modelType: null,
            note:
              `Hugging Face transformers has no model class for a ${description.kind} backbone: open this folder with HarMA.js (loadExportedModel, harma serve, harma eval --model)` +
              (textConfig === undefined ? '' : `; its text tower alone is a ${String(textConfig.model_type)} model (textConfig), which harma site runs in the browser`),
            ...(textConfig === undefined ? {} : { textConfig }),
          },
    tokenizer: await tokenizer.save(dir),
    vision: {
      file: towers.vision.file,
      quantized: towers.vision.quantizedFile,
      input: TOWER_IO.vision.input,
      output: TOWER_IO.vision.output,
      inputShape: ['batch_size', 3, size, size],
      inputType: TOWER_IO.vision.inputType,
    },
    text: {
      file: towers.text.file,
      quantized: towers.text.quantizedFile,
      input: TOWER_IO.text.input,
      output: TOWER_IO.text.output,
      inputShape: ['batch_size', backbone.contextLength],
      inputType: TOWER_IO.text.inputType,
    },
    metadata: options.metadata,
  });
  // transformers' fields first (when the backbone has a transformers class), then HarMA.js's own.
  const configJson = { ...huggingFace, harma: config };
  await writeFileAtomic(path.join(dir, EXPORT_FILES.config), `${JSON.stringify(configJson, null, 2)}\n`);
  await writeFileAtomic(path.join(dir, EXPORT_FILES.preprocessor), `${JSON.stringify(huggingFacePreprocessorConfig(backbone.preprocess), null, 2)}\n`);
  return { dir, config, vision: towers.vision, text: towers.text };
}
