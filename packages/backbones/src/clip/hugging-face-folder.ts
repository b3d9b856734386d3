import { existsSync, promises as fs, statSync } from 'node:fs';
import path from 'node:path';
import type { ClipTokenizer } from '../tokenizer/clip-tokenizer';
import type { ClipConfig } from './config';
import { fromHuggingFaceClipConfig } from './hugging-face-config';

/** What a Hugging Face CLIP model folder gives the `clip` backbone factory. */
export interface HuggingFaceClipFolder {
  /** The folder, as an absolute path. */
  readonly folder: string;
  /** The architecture, from its `config.json`. */
  readonly config: ClipConfig;
  /** Its weight files (see `readHuggingFaceClipFolder`); absent when they were not asked for. */
  readonly weights?: readonly string[];
  /** The folder itself, which holds the tokenizer files; absent when they were not asked for. */
  readonly vocabulary?: string;
  /**
   * `text_config.eos_token_id` of its `config.json`, when given: transformers pools the text
   * features at the first position holding this id, or at the largest id when it is 2 (configs
   * written before transformers 4.31).
   */
  readonly eosTokenId?: number;
}

export interface ReadHuggingFaceClipFolderOptions {
  /** Find the folder's weight files; a folder without any is then an error. Default: true. */
  weights?: boolean;
  /** Find the folder's tokenizer files; a folder without any is then an error. Default: true. */
  vocabulary?: boolean;
}

/** The `eos_token_id` of configs written before transformers 4.31, whose text model pools at the largest id. */
const LEGACY_EOS_TOKEN_ID = 2;

/** Weight files in the order they are looked for: one file, or an index naming the shards. */
const WEIGHT_FILES = [
  { file: 'model.safetensors', index: false },
  { file: 'model.safetensors.index.json', index: true },
  { file: 'pytorch_model.bin', index: false },
  { file: 'pytorch_model.bin.index.json', index: true },
] as const;

/** Weight formats transformers also writes that HarMA.js does not read, named when they are all a folder has. */
const UNREAD_WEIGHT_FILES = ['tf_model.h5', 'flax_model.msgpack'];

async function readJson(file: string, what: string): Promise<unknown> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as unknown;
  } catch (error) {
    throw new Error(`${file}: cannot read ${what} (${(error as Error).message})`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The shard files an index (`model.safetensors.index.json`) maps tensors to, in the order they first appear. */
async function shardsOf(folder: string, indexFile: string): Promise<string[]> {
  const index = await readJson(indexFile, 'the weight index');
  const map = isObject(index) ? index.weight_map : undefined;
  if (!isObject(map) || Object.keys(map).length === 0 || !Object.values(map).every((file) => typeof file === 'string')) {
    throw new Error(`${indexFile}: not a weight index (expected a non-empty "weight_map" of tensor name → shard file)`);
  }
  const shards = [...new Set(Object.values(map) as string[])].map((file) => path.resolve(folder, file));
  const missing = shards.filter((file) => !existsSync(file));
  if (missing.length > 0) throw new Error(`${indexFile}: names shard(s) the folder does not hold: ${missing.map((file) => path.basename(file)).join(', ')}`);
  return shards;
}

async function weightFilesOf(folder: string, harmaExport: boolean): Promise<string[]> {
  for (const { file, index } of WEIGHT_FILES) {
    const full = path.join(folder, file);
    if (existsSync(full)) return index ? shardsOf(folder, full) : [full];
  }
  const unread = UNREAD_WEIGHT_FILES.filter((file) => existsSync(path.join(folder, file)));
  const why = harmaExport
    ? ' (its config.json has a harma section: a folder written by harma export holds ONNX graphs, not weights — evaluate it with harma eval --model)'
    : unread.length > 0
      ? ` (${unread.join(' and ')}: TensorFlow and Flax weights are not read)`
      : '';
  throw new Error(
    `${folder}: no weights — a Hugging Face CLIP folder holds model.safetensors (or model.safetensors.index.json and its shards, or pytorch_model.bin)${why}; ` +
      'or give the weight files (the weights option; backbone.weights in a run config)',
  );
}

/** The tokenizer files `readBpeVocabulary` finds in a folder, checked here to name what is missing. */
function checkTokenizerFiles(folder: string): void {
  const has = (file: string): boolean => existsSync(path.join(folder, file));
  if (has('tokenizer.json')) return;
  if (has('vocab.json')) {
    if (has('merges.txt')) return;
    throw new Error(`${folder}: has vocab.json but not the merges.txt that goes with it`);
  }
  throw new Error(
    `${folder}: no tokenizer files — a Hugging Face CLIP folder holds tokenizer.json (or vocab.json + merges.txt); ` +
      'or give the vocabulary (the vocabulary option; backbone.vocabulary in a run config)',
  );
}

/**
 * Read a Hugging Face CLIP model folder as users download it (`config.json` with `model_type:
 * "clip"`, weights, tokenizer files): the architecture from `config.json`, and, unless told not
 * to look, the weight files — `model.safetensors`, the shards `model.safetensors.index.json`
 * names, `pytorch_model.bin` (a PyTorch zip checkpoint) or the shards of its index, first found
 * wins — and the folder as the vocabulary source (`tokenizer.json`, or `vocab.json` +
 * `merges.txt`). Errors name the folder and what is missing. `preprocessor_config.json` is not
 * read: CLIP backbones use CLIP's mean and std with the paper's squash resize.
 */
export async function readHuggingFaceClipFolder(folder: string, options: ReadHuggingFaceClipFolderOptions = {}): Promise<HuggingFaceClipFolder> {
  const dir = path.resolve(folder);
  if (!existsSync(dir)) throw new Error(`${dir}: no such folder (expected a Hugging Face CLIP folder: config.json, model.safetensors, tokenizer files)`);
  if (!statSync(dir).isDirectory()) throw new Error(`${dir}: not a folder (expected a Hugging Face CLIP folder: config.json, model.safetensors, tokenizer files)`);
  const configFile = path.join(dir, 'config.json');
  if (!existsSync(configFile)) throw new Error(`${dir}: no config.json — not a Hugging Face model folder (expected config.json, model.safetensors, tokenizer files)`);
  const json = await readJson(configFile, 'the model config');
  const modelType = isObject(json) ? json.model_type : undefined;
  if (modelType !== 'clip') {
    throw new Error(
      `${configFile}: model_type is ${modelType === undefined ? 'missing' : JSON.stringify(modelType)}; ` +
        'HarMA.js adapts a whole CLIP (model_type "clip", transformers\' CLIPModel with both towers)',
    );
  }
  const config = fromHuggingFaceClipConfig(json, configFile);
  const textConfig = isObject(json) ? json.text_config : undefined;
  const eosTokenId = isObject(textConfig) && typeof textConfig.eos_token_id === 'number' ? textConfig.eos_token_id : undefined;
  const harmaExport = isObject(json) && json.harma !== undefined;
  const weights = (options.weights ?? true) ? await weightFilesOf(dir, harmaExport) : undefined;
  if (options.vocabulary ?? true) checkTokenizerFiles(dir);
  return {
    folder: dir,
    config,
    ...(weights === undefined ? {} : { weights }),
    ...((options.vocabulary ?? true) ? { vocabulary: dir } : {}),
    ...(eosTokenId === undefined ? {} : { eosTokenId }),
  };
}

/**
 * Check that HarMA.js's CLIP picks the text features where the folder's model does. This CLIP
 * pools at each caption's largest id, so the tokenizer's end-of-text id must be its largest
 * (49407 in OpenAI's vocabulary); transformers pools at the largest id too when `eos_token_id` is
 * the legacy 2, and otherwise at the first `eos_token_id`, which must then be that same end token.
 */
export function checkEndOfTextPooling(folder: HuggingFaceClipFolder, tokenizer: ClipTokenizer): void {
  const largest = tokenizer.vocabularySize - 1;
  if (tokenizer.endOfTextId !== largest) {
    throw new Error(
      `${folder.folder}: the tokenizer's end-of-text id is ${tokenizer.endOfTextId}, not its largest id (${largest}); ` +
        "HarMA.js's CLIP takes the text features at a caption's largest id, so it would not read them where this model does",
    );
  }
  if (folder.eosTokenId !== undefined && folder.eosTokenId !== LEGACY_EOS_TOKEN_ID && folder.eosTokenId !== tokenizer.endOfTextId) {
    throw new Error(
      `${path.join(folder.folder, 'config.json')}: text_config.eos_token_id is ${folder.eosTokenId}, but the tokenizer's end-of-text id is ${tokenizer.endOfTextId}; ` +
        'transformers takes the text features at the first eos_token_id, HarMA.js at the end-of-text token',
    );
  }
}
