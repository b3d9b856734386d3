import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeOnnxModel, encodeOnnxModel, EXPORT_FILES, quantizeModelInt8, readExportConfig, type ExportConfigFile } from '@harma/inference';
import { copySiteFiles, type SiteFile } from './site-file';

/** Weights of the text graph a site ships. */
export type SitePrecision = 'int8' | 'fp32';

/** `model/config.json` of a site: a copy of the export's, or JSON written by the site. */
export type SiteModelConfig = SiteFile | { target: string; json: Record<string, unknown> };

/** The model part of a site: the files the page loads and what it needs to know about them. */
export interface SiteModel {
  /** tokenizer.json and tokenizer_config.json, copied under `model/`. */
  files: SiteFile[];
  /**
   * `model/config.json` (`writeSiteModel` puts it in the site): a copy of the export's own when it
   * is a transformers CLIP folder (`model_type: "clip"`), or, for a backbone whose whole model
   * transformers has no class for (CLIP ResNet), the config of its text tower alone that the
   * export recorded (`harma.transformers.textConfig`, `model_type: "clip_text_model"`): true for
   * the one graph the site ships, and what transformers.js's `CLIPTextModelWithProjection` opens.
   */
  config: SiteModelConfig;
  /**
   * The text graph of `precision` (`writeSiteModel` puts it in the site). With `quantize`, the
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

/** The `model_type` of a CLIP text tower's own config (transformers' `CLIPTextConfig`). */
const CLIP_TEXT_MODEL_TYPE = 'clip_text_model';

const AGAIN = 'export it again with harma export';

/**
 * The config.json the page opens the text graph with: the export's own for a transformers CLIP
 * folder; the recorded text-tower config for a backbone transformers has no whole-model class for.
 */
function siteModelConfig(dir: string, { config, legacy, huggingFace }: ExportConfigFile): SiteModelConfig {
  const target = `${SITE_MODEL_DIR}/${EXPORT_FILES.config}`;
  if (config.transformers?.modelType === null) {
    const { textConfig } = config.transformers;
    if (textConfig === undefined) {
      throw new Error(
        `model ${dir}: a ${config.backbone.kind} backbone, for which Hugging Face transformers has no model class, and its config.json records no transformers config of its text tower ` +
          `(harma.transformers.textConfig) for the page to run it with transformers.js: ${AGAIN} (exports of backbones that describe their text tower record it), or search it with harma serve`,
      );
    }
    if (textConfig.model_type !== CLIP_TEXT_MODEL_TYPE) {
      throw new Error(
        `model ${dir}: its text tower is a ${String(textConfig.model_type)} model (harma.transformers.textConfig model_type); the site's page runs CLIP text towers (model_type "${CLIP_TEXT_MODEL_TYPE}") only`,
      );
    }
    return { target, json: textConfig };
  }
  if (legacy || huggingFace.model_type === undefined) {
    throw new Error(`model ${dir}: its config.json has no Hugging Face fields (an export of an older format); transformers.js cannot open it in the browser: ${AGAIN}`);
  }
  if (huggingFace.model_type !== 'clip') {
    throw new Error(`model ${dir}: a ${String(huggingFace.model_type)} model (config.json model_type); the site's page runs CLIP-family text towers (model_type "clip") only`);
  }
  return { source: path.resolve(dir, EXPORT_FILES.config), target };
}

/**
 * Check that the model folder `dir` (written by `harma export`) can run in the browser and list
 * the files the page needs — config.json, the tokenizer's Hugging Face files and the text graph of
 * `precision` — and nothing else (no vision graph: the gallery is embedded here, in Node). The page
 * opens them with transformers.js's `CLIPTextModelWithProjection`: the folder must be a Hugging
 * Face CLIP folder, or an export that records its text tower's `clip_text_model` config (CLIP
 * ResNet, whose whole model transformers has no class for).
 */
export async function siteModel(dir: string, precision: SitePrecision): Promise<SiteModel> {
  const file = await readExportConfig(dir);
  const { config } = file;
  const modelConfig = siteModelConfig(dir, file);
  for (const name of TOKENIZER_FILES) {
    if (!existsSync(path.join(dir, name))) {
      throw new Error(`model ${dir}: ${name} is missing; the page tokenizes queries with the Hugging Face tokenizer files (its ${config.tokenizer.kind} tokenizer wrote none, or the folder is incomplete): ${AGAIN}`);
    }
  }
  // An export made with --no-quantize has no int8 graph: quantise its float32 one as harma export would have.
  const graph = precision === 'int8' ? config.text.quantized : config.text.file;
  const source = graph ?? config.text.file;
  if (!existsSync(path.join(dir, source))) throw new Error(`model ${dir}: its text graph ${source} is missing: ${AGAIN}`);
  // transformers.js finds a graph by its standard name and the dtype's suffix.
  const target = precision === 'int8' ? EXPORT_FILES.textQuantized : EXPORT_FILES.text;
  return {
    files: TOKENIZER_FILES.map((name) => ({ source: path.resolve(dir, name), target: `${SITE_MODEL_DIR}/${name}` })),
    config: modelConfig,
    graph: { source: path.resolve(dir, source), target: `${SITE_MODEL_DIR}/${target}`, quantize: graph === undefined },
    precision,
    dtype: precision === 'int8' ? 'q8' : 'fp32',
    contextLength: config.tokenizer.contextLength,
    embedDim: config.embedDim,
    backbone: config.backbone.kind,
    parameters: config.backbone.parameters,
  };
}

/** Write `bytes` at `target` (`/`-separated, relative to the site folder `root`). */
async function writeSiteBytes(root: string, target: string, bytes: string | Uint8Array): Promise<void> {
  const file = path.join(root, ...target.split('/'));
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, bytes);
}

/**
 * Put the model's config.json (copied, or written from the recorded text-tower config) and text
 * graph in the site folder `root`: the graph a copy, or the int8 weight-quantised form of the
 * float32 graph (`quantizeModelInt8` with the options `harma export` uses).
 */
export async function writeSiteModel(root: string, model: Pick<SiteModel, 'config' | 'graph'>): Promise<void> {
  const { config, graph } = model;
  if ('json' in config) await writeSiteBytes(root, config.target, `${JSON.stringify(config.json, null, 2)}\n`);
  else await copySiteFiles(root, [config]);
  if (!graph.quantize) {
    await copySiteFiles(root, [graph]);
    return;
  }
  const { model: quantized } = quantizeModelInt8(decodeOnnxModel(new Uint8Array(await readFile(graph.source))), {});
  await writeSiteBytes(root, graph.target, encodeOnnxModel(quantized));
}
