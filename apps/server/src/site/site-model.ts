import { existsSync } from 'node:fs';
import path from 'node:path';
import { EXPORT_FILES, readExportConfig } from '@harma/inference';
import type { SiteFile } from './site-file';

/** Weights of the text graph a site ships. */
export type SitePrecision = 'int8' | 'fp32';

/** The model part of a site: the files the page loads and what it needs to know about them. */
export interface SiteModel {
  /** config.json, tokenizer.json, tokenizer_config.json and the chosen text graph, under `model/`. */
  files: SiteFile[];
  /** The text graph among `files`. */
  graph: SiteFile;
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
  const graph = precision === 'int8' ? config.text.quantized : config.text.file;
  if (graph === undefined) {
    throw new Error(`model ${dir}: no int8 text graph (it was exported with --no-quantize); export it again without --no-quantize, or write the site with --precision fp32`);
  }
  if (!existsSync(path.join(dir, graph))) throw new Error(`model ${dir}: its ${precision} text graph ${graph} is missing: ${again}`);
  // transformers.js finds a graph by its standard name and the dtype's suffix.
  const target = precision === 'int8' ? EXPORT_FILES.textQuantized : EXPORT_FILES.text;
  const text = { source: path.resolve(dir, graph), target: `${SITE_MODEL_DIR}/${target}` };
  const files = [EXPORT_FILES.config, ...TOKENIZER_FILES].map((file) => ({ source: path.resolve(dir, file), target: `${SITE_MODEL_DIR}/${file}` }));
  return {
    files: [...files, text],
    graph: text,
    precision,
    dtype: precision === 'int8' ? 'q8' : 'fp32',
    contextLength: config.tokenizer.contextLength,
    embedDim: config.embedDim,
    backbone: config.backbone.kind,
    parameters: config.backbone.parameters,
  };
}
