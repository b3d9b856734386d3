import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeOnnxModel, encodeOnnxModel, EXPORT_FILES, quantizeModelInt8, readExportConfig } from '@harma/inference';
import { copySiteFiles, type SiteFile } from './site-file';

/** Weights of the text graph a site ships. */
export type SitePrecision = 'int8' | 'fp32';

/** The model part of a site: the files the page loads and what it needs to know about them. */
export interface SiteModel {
  /** config.json, tokenizer.json and tokenizer_config.json, under `model/`. */
  files: SiteFile[];
  /**
   * The text graph of `precision` (`writeSiteGraph` puts it in the site). With `quantize`, the
   * source is the float32 graph of an export without int8 graphs, quantised while copying.
   */
  graph: SiteFile & { quantize: boolean };
  precision: SitePrecision;
  /** transformers.js's `dtype` that picks the graph's file name: `q8` → `onnx/text_model_quantized.onnx`. */
  dtype: 'q8' | 'fp32';
  contextLength: number;
  embedDim: number;
  /** The backbone kind and its parameter count, shown on the page. */
  backbone: string;
  parameters: number;
}

/** Folder of the site that holds the model files, the model id transformers.js loads. */
export const SITE_MODEL_DIR = 'model';

/** The files transformers.js reads to tokenize (tokenizer_config.json tells it tokenizer.json exists). */
const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json'] as const;

/**
 * Check that the model folder `dir` (written by `harma export`) can run in the browser and list
 * the files the page needs — config.json, the tokenizer's Hugging Face files and the text graph of
 * `precision` — and nothing else (no vision graph: the gallery is embedded here, in Node). The page
 * opens them with transformers.js's CLIP classes, so the folder must be a Hugging Face CLIP folder.
 */
export async function siteModel(dir: string, precision: SitePrecision): Promise<SiteModel> {
  const { config, legacy, huggingFace } = await readExportConfig(dir);
  const again = 'export it again with harma export';
  if (config.transformers?.modelType === null) {
    throw new Error(
      `model ${dir}: a ${config.backbone.kind} backbone, for which Hugging Face transformers has no model class: the site's page runs the text tower with transformers.js's CLIP classes, ` +
        'so it cannot open this folder. Search it with harma serve instead, or build the site from a CLIP (ViT) export',
    );
  }
  if (legacy || huggingFace.model_type === undefined) {
    throw new Error(`model ${dir}: its config.json has no Hugging Face fields (an export of an older format); transformers.js cannot open it in the browser: ${again}`);
  }
  if (huggingFace.model_type !== 'clip') {
    throw new Error(`model ${dir}: a ${String(huggingFace.model_type)} model (config.json model_type); the site's page runs CLIP-family text towers (model_type "clip") only`);
  }
  for (const file of TOKENIZER_FILES) {
    if (!existsSync(path.join(dir, file))) {
      throw new Error(`model ${dir}: ${file} is missing; the page tokenizes queries with the Hugging Face tokenizer files (its ${config.tokenizer.kind} tokenizer wrote none, or the folder is incomplete): ${again}`);
    }
  }
  // An export made with --no-quantize has no int8 graph: quantise its float32 one as harma export would have.
  const graph = precision === 'int8' ? config.text.quantized : config.text.file;
  const source = graph ?? config.text.file;
  if (!existsSync(path.join(dir, source))) throw new Error(`model ${dir}: its text graph ${source} is missing: ${again}`);
  // transformers.js finds a graph by its standard name and the dtype's suffix.
  const target = precision === 'int8' ? EXPORT_FILES.textQuantized : EXPORT_FILES.text;
  return {
    files: [EXPORT_FILES.config, ...TOKENIZER_FILES].map((file) => ({ source: path.resolve(dir, file), target: `${SITE_MODEL_DIR}/${file}` })),
    graph: { source: path.resolve(dir, source), target: `${SITE_MODEL_DIR}/${target}`, quantize: graph === undefined },
    precision,
    dtype: precision === 'int8' ? 'q8' : 'fp32',
    contextLength: config.tokenizer.contextLength,
    embedDim: config.embedDim,
    backbone: config.backbone.kind,
    parameters: config.backbone.parameters,
  };
}

/**
 * Put the model's text graph in the site folder `root`: a copy, or the int8 weight-quantised form
 * of the float32 graph (`quantizeModelInt8` with the options `harma export` uses).
 */
export async function writeSiteGraph(root: string, graph: SiteModel['graph']): Promise<void> {
  if (!graph.quantize) {
    await copySiteFiles(root, [graph]);
    return;
  }
  const { model } = quantizeModelInt8(decodeOnnxModel(new Uint8Array(await readFile(graph.source))), {});
  const target = path.join(root, ...graph.target.split('/'));
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, encodeOnnxModel(model));
}
