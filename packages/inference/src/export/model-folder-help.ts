import { promises as fs } from 'node:fs';
import path from 'node:path';

/** What a model folder holds, for messages about folders that are not one. */
export const MODEL_FOLDER_CONTENTS =
  "A model folder is what harma export writes: config.json (with a harma section), preprocessor_config.json, onnx/vision_model.onnx, onnx/text_model.onnx and the tokenizer's files.";

/** How to make a model folder, for messages about folders that are not one. */
export const MAKE_MODEL_FOLDER = 'Make one from a training run with: harma export --config <run>/config.json --adapters <run>/best.safetensors --out <folder>';

/** `value` as one shell word (quoted when it holds anything but letters, digits and `_./:@%+,-`). */
export function shellWord(value: string): string {
  return /^[\w./:@%+,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Whether a parsed `config.json` is the config `harma train` records in its run folder (the
 * resolved training config: `name`, `backbone`, `data`, `training`, `output`, …) rather than a
 * model folder's.
 */
export function isTrainingRunConfig(json: unknown): boolean {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return false;
  const record = json as Record<string, unknown>;
  return ['backbone', 'data', 'training'].every((key) => typeof record[key] === 'object' && record[key] !== null) && typeof record.output === 'string';
}

async function isFile(file: string): Promise<boolean> {
  return (await fs.stat(file).catch(() => undefined))?.isFile() === true;
}

/**
 * What to tell someone who gave a training run folder where a model folder is expected: the
 * exact `harma export` command that turns the run's best adapters into a model folder (inside
 * the run, `<run>/model`), or, when no epoch has finished yet, that there is nothing to export.
 */
export async function trainingRunFolderMessage(dir: string): Promise<string> {
  const run = path.resolve(dir);
  const model = path.join(run, 'model');
  const best = path.join(run, 'best.safetensors');
  const exportCommand = `harma export --config ${shellWord(path.join(run, 'config.json'))} --adapters ${shellWord(best)} --out ${shellWord(model)}`;
  const what = `${dir} is a training run folder (written by harma train), not a model folder.`;
  if (!(await isFile(best))) {
    return `${what} It holds no best.safetensors yet: harma train writes it when an epoch ends and its validation is the best so far. Then export it with:\n  ${exportCommand}`;
  }
  return `${what} Export the run's best adapters into a model folder, then use that folder (${model}):\n  ${exportCommand}`;
}

/** What to tell someone whose folder has no `config.json` at all. */
export async function missingConfigMessage(dir: string, file: string): Promise<string> {
  const stat = await fs.stat(dir).catch(() => undefined);
  if (stat === undefined) return `${dir}: no such folder. ${MODEL_FOLDER_CONTENTS} ${MAKE_MODEL_FOLDER}`;
  if (!stat.isDirectory()) return `${dir} is a file, not a model folder. ${MODEL_FOLDER_CONTENTS} ${MAKE_MODEL_FOLDER}`;
  // The graphs' own folder inside a model folder.
  const parent = path.dirname(path.resolve(dir));
  if (path.basename(path.resolve(dir)) === 'onnx' && (await isFile(path.join(parent, 'config.json')))) {
    return `${file}: not found; ${dir} is the onnx/ folder inside a model folder: use ${parent}`;
  }
  return `${file}: not found, so ${dir} is not a model folder. ${MODEL_FOLDER_CONTENTS} ${MAKE_MODEL_FOLDER}`;
}
