import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

/** File names of an export directory (the Hugging Face / transformers.js names). */
export const EXPORT_FILES = {
  config: 'config.json',
  vision: 'vision_model.onnx',
  text: 'text_model.onnx',
  visionQuantized: 'vision_model_quantized.onnx',
  textQuantized: 'text_model_quantized.onnx',
} as const;

export const EXPORT_FORMAT = 'harma-onnx';
export const EXPORT_FORMAT_VERSION = 1;

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

export const exportConfigSchema = z
  .object({
    format: z.literal(EXPORT_FORMAT),
    formatVersion: z.literal(EXPORT_FORMAT_VERSION),
    producer: z.object({ name: z.string(), version: z.string() }).strict(),
    opset: z.number().int().min(17),
    backbone: z
      .object({
        kind: z.string(),
        specificationVersion: z.string(),
        /** The backbone's own description (for CLIP, its `ClipConfig`), as given. */
        model: z.unknown().optional(),
        parameters: z.number().int().nonnegative(),
      })
      .strict(),
    embedDim: z.number().int().positive(),
    /** Outputs are L2-normalised: cosine similarity is their dot product. */
    normalized: z.literal(true),
    preprocess: z
      .object({
        size: z.number().int().positive(),
        mean: z.tuple([z.number(), z.number(), z.number()]),
        std: z.tuple([z.number(), z.number(), z.number()]),
        resize: z.enum(['squash', 'shortest-side-crop']),
        interpolation: z.enum(['bicubic', 'bilinear']),
      })
      .strict(),
    tokenizer: z
      .object({
        contextLength: z.number().int().positive(),
        /** Ids are zero padded to the context length (never trimmed: adapter attention sees the padding). */
        padId: z.literal(0),
        /** Vocabulary file name users bring with the weights, when known. */
        vocabulary: z.string().optional(),
        vocabularySize: z.number().int().positive().optional(),
      })
      .strict(),
    vision: towerSchema,
    text: towerSchema,
    /** Free-form description recorded by the caller (adapter options, checkpoint names). */
    metadata: z.record(z.unknown()).optional(),
  })
  .strict();

export type ExportConfig = z.infer<typeof exportConfigSchema>;

function describeIssues(error: z.ZodError, file: string): string {
  return error.issues.map((issue) => `${file}: ${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`).join('\n');
}

/** Validate a parsed config.json; `file` names it in errors. */
export function parseExportConfig(json: unknown, file: string = EXPORT_FILES.config): ExportConfig {
  const parsed = exportConfigSchema.safeParse(json);
  if (!parsed.success) throw new Error(describeIssues(parsed.error, file));
  return parsed.data;
}

/** Read and validate `config.json` of an export directory. */
export async function readExportConfig(dir: string): Promise<ExportConfig> {
  const file = path.join(dir, EXPORT_FILES.config);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `${file}: not found; is ${dir} an ONNX export (harma export)?` : `${file}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${(error as Error).message})`);
  }
  return parseExportConfig(json, file);
}
