import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { TokenizerDescription } from '@harma/core';
import { z } from 'zod';
import { isTrainingRunConfig, MAKE_MODEL_FOLDER, missingConfigMessage, MODEL_FOLDER_CONTENTS, trainingRunFolderMessage } from './model-folder-help';

/**
 * Files of an export folder, by the names and places of a Hugging Face model folder (what
 * transformers.js's `from_pretrained` looks for): `config.json` (transformers' fields + the `harma`
 * section), `preprocessor_config.json`, the graphs in `onnx/`, the tokenizer's files beside them.
 */
export const EXPORT_FILES = {
  config: 'config.json',
  preprocessor: 'preprocessor_config.json',
  vision: 'onnx/vision_model.onnx',
  text: 'onnx/text_model.onnx',
  visionQuantized: 'onnx/vision_model_quantized.onnx',
  textQuantized: 'onnx/text_model_quantized.onnx',
} as const;

export const EXPORT_FORMAT = 'harma-onnx';
/**
 * 3: a Hugging Face model folder, this config in `config.json`'s `harma` section. (2: the same
 * fields at the top level of `config.json`, graphs beside it; 1: a vocabulary file users brought.)
 */
export const EXPORT_FORMAT_VERSION = 3;

/**
 * The tokenizer kind version-1 exports used without naming it: they were all CLIP BPE models whose
 * vocabulary file users brought. Only the reader of that legacy form names it.
 */
const LEGACY_TOKENIZER_KIND = 'clip-bpe';

const towerSchema = z
  .object({
    file: z.string().min(1),
    quantized: z.string().min(1).optional(),
    input: z.string().min(1),
    output: z.string().min(1),
    /** Input shape with the symbolic batch dimension first. */
    inputShape: z.array(z.union([z.number().int().positive(), z.string()])),
    inputType: z.enum(['float32', 'int64']),
  })
  .strict();

const preprocessSchema = z
  .object({
    size: z.number().int().positive(),
    mean: z.tuple([z.number(), z.number(), z.number()]),
    std: z.tuple([z.number(), z.number(), z.number()]),
    resize: z.enum(['squash', 'shortest-side-crop']),
    interpolation: z.enum(['bicubic', 'bilinear']),
  })
  .strict();

const towerSizeSchema = z.object({ width: z.number().int().positive(), layers: z.number().int().nonnegative() }).strict();

const jsonObjectSchema = z.record(z.unknown());

/** Fields both format versions share, as they are. */
const sharedFields = {
  format: z.literal(EXPORT_FORMAT),
  producer: z.object({ name: z.string(), version: z.string() }).strict(),
  opset: z.number().int().min(17),
  embedDim: z.number().int().positive(),
  /** Outputs are L2-normalised: cosine similarity is their dot product. */
  normalized: z.literal(true),
  preprocess: preprocessSchema,
  vision: towerSchema,
  text: towerSchema,
  /** Free-form description recorded by the caller (adapter options, checkpoint names). */
  metadata: z.record(z.unknown()).optional(),
};

export const exportConfigSchema = z
  .object({
    ...sharedFields,
    formatVersion: z.literal(EXPORT_FORMAT_VERSION),
    backbone: z
      .object({
        kind: z.string().min(1),
        specificationVersion: z.string(),
        /** The architecture in the backbone's own terms (`Backbone.describe().config`): `createBackbone(kind, { config })` rebuilds it. */
        config: z.unknown(),
        /** The module that registers `kind` and its tokenizer when they are not built in (a package specifier or an absolute path). */
        plugin: z.string().min(1).optional(),
        parameters: z.number().int().nonnegative(),
        /** Width and block count of each tower, from the backbone contract's sites (absent in version-1 folders). */
        towers: z.object({ vision: towerSizeSchema, text: towerSizeSchema }).strict().optional(),
      })
      .strict(),
    /**
     * Whether Hugging Face transformers (and transformers.js) has a model class for the folder:
     * `modelType` is the `model_type` at the top of config.json (`"clip"`), or null with a note
     * for a backbone it has none for (CLIP ResNet), which only HarMA.js's loaders open. Such a
     * backbone's text tower may still have a class: `textConfig` is then the `config.json` of
     * the text graph alone (`Backbone.huggingFaceTextConfig`; CLIP: `model_type:
     * "clip_text_model"`), which `harma site` gives transformers.js. Absent in folders written
     * before it was recorded.
     */
    transformers: z
      .union([
        z.object({ modelType: z.string().min(1) }).strict(),
        z.object({ modelType: z.null(), note: z.string().min(1), textConfig: jsonObjectSchema.optional() }).strict(),
      ])
      .optional(),
    /** The tokenizer saved in the folder (`TextTokenizer.save`); ids are zero padded, never trimmed. */
    tokenizer: z
      .object({
        kind: z.string().min(1),
        contextLength: z.number().int().positive(),
        vocabularySize: z.number().int().positive(),
        padId: z.literal(0),
        files: z.array(z.string().min(1)),
        options: jsonObjectSchema.optional(),
      })
      .strict(),
  })
  .strict();

/** config.json of the first format version: the vocabulary was a file users brought along. */
const legacyExportConfigSchema = z
  .object({
    ...sharedFields,
    formatVersion: z.literal(1),
    backbone: z
      .object({ kind: z.string(), specificationVersion: z.string(), model: z.unknown().optional(), parameters: z.number().int().nonnegative() })
      .strict(),
    tokenizer: z
      .object({
        contextLength: z.number().int().positive(),
        padId: z.literal(0),
        vocabulary: z.string().optional(),
        vocabularySize: z.number().int().positive().optional(),
      })
      .strict(),
  })
  .strict();

export type ExportConfig = z.infer<typeof exportConfigSchema>;

/** What `readExportConfig` gives: HarMA.js's config of the folder, and what else `config.json` holds. */
export interface ExportConfigFile {
  config: ExportConfig;
  /** The folder uses the first format version: the tokenizer is the vocabulary file it named (or a file in the folder). */
  legacy: boolean;
  /** The Hugging Face transformers fields of `config.json` (`model_type`, `text_config`, …), empty when it has none. */
  huggingFace: Record<string, unknown>;
}

function describeIssues(error: z.ZodError, file: string): string {
  return error.issues.map((issue) => `${file}: ${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`).join('\n');
}

/** The tokenizer part of a config as core's `TokenizerDescription`. */
export function tokenizerDescriptionOf(config: ExportConfig): TokenizerDescription {
  const { kind, contextLength, vocabularySize, files, options } = config.tokenizer;
  return { kind, contextLength, vocabularySize, padId: 0, files, ...(options ? { options: options as TokenizerDescription['options'] } : {}) };
}

/** Validate a parsed config.json of the current format; `file` names it in errors. */
export function parseExportConfig(json: unknown, file: string = EXPORT_FILES.config): ExportConfig {
  const parsed = exportConfigSchema.safeParse(json);
  if (!parsed.success) throw new Error(describeIssues(parsed.error, file));
  return parsed.data;
}

/**
 * A version-1 config in the current form: the backbone's `model` becomes its `config`, and the
 * tokenizer is the CLIP BPE vocabulary file it named (resolved in the folder; without a name, the
 * folder is searched).
 */
function upgradeLegacy(legacy: z.infer<typeof legacyExportConfigSchema>, file: string): ExportConfig {
  const { vocabularySize } = legacy.tokenizer;
  if (vocabularySize === undefined) throw new Error(`${file}: a version-1 export without tokenizer.vocabularySize; export the model again with harma export`);
  return {
    ...legacy,
    formatVersion: EXPORT_FORMAT_VERSION,
    backbone: {
      kind: legacy.backbone.kind,
      specificationVersion: legacy.backbone.specificationVersion,
      config: legacy.backbone.model,
      parameters: legacy.backbone.parameters,
    },
    tokenizer: {
      kind: LEGACY_TOKENIZER_KIND,
      contextLength: legacy.tokenizer.contextLength,
      vocabularySize,
      padId: 0,
      files: legacy.tokenizer.vocabulary === undefined ? [] : [legacy.tokenizer.vocabulary],
    },
  };
}

/**
 * Validate a parsed `config.json` of any format version: the `harma` section of a version-3 folder
 * (the rest is transformers' config), or the top level of a version-1 or -2 folder (version 1 is
 * upgraded). `file` names it in errors.
 */
export function parseExportConfigFile(json: unknown, file: string = EXPORT_FILES.config): ExportConfigFile {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error(`${file}: not a JSON object`);
  const { harma, ...huggingFace } = json as Record<string, unknown>;
  if (harma !== undefined) return { config: parseExportConfig(harma, `${file} (harma section)`), legacy: false, huggingFace };
  const { format, formatVersion } = json as { format?: unknown; formatVersion?: unknown };
  if (format !== EXPORT_FORMAT) {
    const hint =
      huggingFace.model_type === 'clip'
        ? " (a Hugging Face CLIP folder is a backbone to train from: harma train --config <run.yaml> --backbone <folder>)"
        : isTrainingRunConfig(json)
          ? ` (it is the config of a training run: export the run with harma export --config ${file} --adapters <run>/best.safetensors --out <folder>)`
          : `. ${MODEL_FOLDER_CONTENTS} ${MAKE_MODEL_FOLDER}`;
    throw new Error(`${file}: no harma section, so not a model folder written by harma export${hint}`);
  }
  if (formatVersion === 1) {
    const parsed = legacyExportConfigSchema.safeParse(json);
    if (!parsed.success) throw new Error(describeIssues(parsed.error, file));
    return { config: upgradeLegacy(parsed.data, file), legacy: true, huggingFace: {} };
  }
  // Version 2 held the current fields at the top level.
  return { config: parseExportConfig({ ...(json as object), formatVersion: EXPORT_FORMAT_VERSION }, file), legacy: false, huggingFace: {} };
}

/**
 * Read and validate `config.json` of an export directory (any format version). A folder that is
 * not one gets one message saying what it is and what to run instead, never a list of schema
 * errors: a training run folder (its `config.json` is the run's config) gets the exact
 * `harma export` command; any other folder what a model folder holds and how to make one.
 */
export async function readExportConfig(dir: string): Promise<ExportConfigFile> {
  const file = path.join(dir, EXPORT_FILES.config);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' || code === 'ENOTDIR' ? await missingConfigMessage(dir, file) : `${file}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${(error as Error).message})`);
  }
  if (isTrainingRunConfig(json)) throw new Error(await trainingRunFolderMessage(dir));
  return parseExportConfigFile(json, file);
}
