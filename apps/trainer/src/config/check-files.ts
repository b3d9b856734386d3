import { existsSync, statSync } from 'node:fs';
import type { TrainConfig } from './train-config';

/** Where pretrained weights come from, said wherever one is missing (HarMA.js downloads none). */
const WEIGHTS_HELP =
  'HarMA.js downloads no weights: put the file there or point backbone.weights at yours — docs/reproduce.md, section "1. Files and where they go", ' +
  'says which files load and where OpenAI CLIP, GeoRSCLIP, open_clip and Hugging Face weights come from (--backbone <folder> takes a Hugging Face CLIP folder). ' +
  'Without pretrained weights, start from the offline demo\'s small model: `npm run demo` writes runs/demo/pretrain/best.safetensors, runs/demo/model-config.json ' +
  'and runs/demo/vocab.txt.gz (README, "Your own images and captions").';

const VOCABULARY_HELP =
  "CLIP's vocabulary, bpe_simple_vocab_16e6.txt.gz, ships with open_clip and OpenAI's CLIP; a Hugging Face vocab.json (with merges.txt) or tokenizer.json works too " +
  '(docs/reproduce.md, section "1. Files and where they go"); the demo\'s small model has its own, runs/demo/vocab.txt.gz (`npm run demo`).';

const DATA_HELP =
  'Annotation files are the HarMA/PIR JSON files (training: one entry per caption; val/test: one entry per image), with data.images the folder their image paths are relative to ' +
  '(README, "Your own images and captions"; docs/reproduce.md, section 1).';

/** A file or folder a config names that is not there: the key, the path and what to do. */
export interface MissingConfigFile {
  key: string;
  path: string;
  help: string;
}

/** Paths a config names that do not exist, every one listed with its config key and where such files come from. */
export class ConfigFilesError extends Error {
  override readonly name = 'ConfigFilesError';
  constructor(readonly missing: readonly MissingConfigFile[], source?: string) {
    const where = source === undefined ? '' : ` (run config ${source}; a relative path written there resolves against its folder, one given on the command line against the working directory)`;
    const lines = missing.map((m) => `  ${m.key}: ${m.path} does not exist`);
    const help = [...new Set(missing.map((m) => m.help))];
    super(`${missing.length === 1 ? 'a file the run needs is missing' : `${missing.length} files the run needs are missing`}${where}:\n${lines.join('\n')}\n${help.join('\n')}`);
  }
}

export interface CheckConfigFilesOptions {
  /**
   * Check the backbone's weight and vocabulary files. Default: true. (`backbone.config` is left to
   * the backbone's factory, which knows what a folder or file of its kind must hold.)
   */
  backbone?: boolean;
  /** Which data splits' annotation files to check, and the image folder with them. Default: none. */
  splits?: ReadonlyArray<'train' | 'val' | 'test'>;
  /** The config file, named in the message. */
  source?: string;
}

function missingPath(file: string, folder = false): boolean {
  if (!existsSync(file)) return true;
  return folder && !statSync(file).isDirectory();
}

/**
 * Check before any work that the files a config names exist; throws `ConfigFilesError` listing
 * every missing one with its config key (`backbone.weights[0]`), where such files come from and
 * the documentation, rather than the first ENOENT deep inside a loader.
 */
export function checkConfigFiles(config: TrainConfig, options: CheckConfigFilesOptions = {}): void {
  const missing: MissingConfigFile[] = [];
  const need = (key: string, file: string, help: string, folder = false): void => {
    if (missingPath(file, folder)) missing.push({ key, path: file, help });
  };
  if (options.backbone ?? true) {
    const { weights, vocabulary } = config.backbone;
    weights.forEach((file, i) => need(`backbone.weights[${i}]`, file, WEIGHTS_HELP));
    if (vocabulary !== undefined) need('backbone.vocabulary', vocabulary, VOCABULARY_HELP);
  }
  const splits = options.splits ?? [];
  if (splits.includes('train')) config.data.train.forEach((file, i) => need(`data.train[${i}]`, file, DATA_HELP));
  if (splits.includes('val')) need('data.val', config.data.val, DATA_HELP);
  if (splits.includes('test')) need('data.test', config.data.test, DATA_HELP);
  if (splits.length > 0) need('data.images', config.data.images, DATA_HELP, true);
  if (missing.length > 0) throw new ConfigFilesError(missing, options.source);
}
