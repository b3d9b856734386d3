import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INFERENCE_VERSION } from '../version';
import { parseExportConfig, parseExportConfigFile, readExportConfig, tokenizerDescriptionOf } from './export-config';
import { MAKE_MODEL_FOLDER, MODEL_FOLDER_CONTENTS } from './model-folder-help';

const valid = {
  format: 'harma-onnx',
  formatVersion: 3,
  producer: { name: '@harma/inference', version: '0.1.0' },
  opset: 20,
  backbone: { kind: 'clip', specificationVersion: 'v2', config: {}, parameters: 10, towers: { vision: { width: 8, layers: 1 }, text: { width: 8, layers: 1 } } },
  embedDim: 512,
  normalized: true,
  preprocess: { size: 224, mean: [0.5, 0.5, 0.5], std: [0.2, 0.2, 0.2], resize: 'squash', interpolation: 'bicubic' },
  tokenizer: { kind: 'clip-bpe', contextLength: 77, vocabularySize: 49408, padId: 0, files: ['vocab.json', 'merges.txt'] },
  vision: { file: 'onnx/vision_model.onnx', input: 'pixel_values', output: 'image_embeds', inputShape: ['batch_size', 3, 224, 224], inputType: 'float32' },
  text: { file: 'onnx/text_model.onnx', input: 'input_ids', output: 'text_embeds', inputShape: ['batch_size', 77], inputType: 'int64' },
};

describe('parseExportConfig', () => {
  it('accepts a complete config', () => {
    expect(parseExportConfig(valid).embedDim).toBe(512);
  });

  it('names the file and the field at fault', () => {
    expect(() => parseExportConfig({ ...valid, embedDim: -1 }, 'out/config.json')).toThrow('out/config.json: embedDim: Number must be greater than 0');
    expect(() => parseExportConfig({ ...valid, text: { ...valid.text, inputType: 'int32' } }, 'c.json')).toThrow(/^c\.json: text\.inputType: Invalid enum value/);
    expect(() => parseExportConfig({ ...valid, extra: 1 }, 'c.json')).toThrow(/Unrecognized key\(s\) in object: 'extra'/);
  });
});

describe('parseExportConfigFile', () => {
  const legacy = {
    ...valid,
    formatVersion: 1,
    backbone: { kind: 'clip', specificationVersion: 'v1', model: { embedDim: 512 }, parameters: 10 },
    tokenizer: { contextLength: 77, padId: 0, vocabulary: 'bpe_simple_vocab_16e6.txt.gz', vocabularySize: 49408 },
  };

  it('reads the harma section of a Hugging Face folder, keeping the rest as transformers\' config', () => {
    const huggingFace = { model_type: 'clip', projection_dim: 512 };
    expect(parseExportConfigFile({ ...huggingFace, harma: valid })).toEqual({ config: parseExportConfig(valid), legacy: false, huggingFace });
    expect(() => parseExportConfigFile({ ...huggingFace, harma: { ...valid, embedDim: 0 } }, 'm/config.json')).toThrow('m/config.json (harma section): embedDim: Number must be greater than 0');
  });

  it('reads a version-2 folder, whose fields stood at the top level', () => {
    expect(parseExportConfigFile({ ...valid, formatVersion: 2 }).config).toEqual(parseExportConfig(valid));
  });

  it('says when a folder is not an export, what one holds, and what a Hugging Face CLIP folder is for', () => {
    expect(() => parseExportConfigFile({ model_type: 'clip' }, 'hf/config.json')).toThrow(
      "hf/config.json: no harma section, so not a model folder written by harma export (a Hugging Face CLIP folder is a backbone to train from: harma train --config <run.yaml> --backbone <folder>)",
    );
    expect(() => parseExportConfigFile({ name: 'x' }, 'x/config.json')).toThrow(`x/config.json: no harma section, so not a model folder written by harma export. ${MODEL_FOLDER_CONTENTS} ${MAKE_MODEL_FOLDER}`);
    expect(() => parseExportConfigFile([], 'x')).toThrow('x: not a JSON object');
    const run = { name: 'r', backbone: {}, data: {}, training: {}, output: '/runs/r' };
    expect(() => parseExportConfigFile(run, 'r/config.json')).toThrow(
      'r/config.json: no harma section, so not a model folder written by harma export (it is the config of a training run: export the run with harma export --config r/config.json --adapters <run>/best.safetensors --out <folder>)',
    );
  });

  it('upgrades a version-1 config: the model is the backbone config, the named vocabulary file is the tokenizer', () => {
    const { config, legacy: isLegacy } = parseExportConfigFile(legacy);
    expect(isLegacy).toBe(true);
    expect(config.formatVersion).toBe(3);
    expect(config.backbone).toEqual({ kind: 'clip', specificationVersion: 'v1', config: { embedDim: 512 }, parameters: 10 });
    expect(tokenizerDescriptionOf(config)).toEqual({ kind: 'clip-bpe', contextLength: 77, vocabularySize: 49408, padId: 0, files: ['bpe_simple_vocab_16e6.txt.gz'] });
    // Without a named file the folder itself is searched.
    const unnamed = parseExportConfigFile({ ...legacy, tokenizer: { contextLength: 77, padId: 0, vocabularySize: 49408 } });
    expect(unnamed.config.tokenizer.files).toEqual([]);
  });

  it('names the file, the version and the field of a bad legacy config', () => {
    expect(() => parseExportConfigFile({ ...legacy, tokenizer: { contextLength: 77, padId: 0 } }, 'old/config.json')).toThrow(
      'old/config.json: a version-1 export without tokenizer.vocabularySize; export the model again with harma export',
    );
    expect(() => parseExportConfigFile({ ...legacy, embedDim: 0 }, 'old/config.json')).toThrow('old/config.json: embedDim: Number must be greater than 0');
  });
});

describe('readExportConfig on folders that are not model folders', () => {
  let base: string;
  // The fields of the config harma train writes into a run folder (run-training.ts, RUN_FILES.config).
  const runConfig = { name: 'mine', backbone: { kind: 'clip', config: 'ViT-B-32', weights: [] }, data: { train: [], images: '/data' }, training: { epochs: 1 }, adapter: { type: 'harma' }, output: '/runs/mine' };

  beforeAll(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'harma-not-a-model-'));
  });

  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  const message = async (dir: string): Promise<string> => {
    const error = await readExportConfig(dir).then(
      () => undefined,
      (thrown: unknown) => thrown as Error,
    );
    if (error === undefined) throw new Error(`${dir} was read as a model folder`);
    return error.message;
  };

  it('recognises a training run folder and gives the exact harma export command, no schema errors', async () => {
    const run = path.join(base, 'runs', 'my run');
    await mkdir(run, { recursive: true });
    await writeFile(path.join(run, 'config.json'), JSON.stringify(runConfig));
    await writeFile(path.join(run, 'state.safetensors'), '');
    await writeFile(path.join(run, 'metrics.jsonl'), '');
    expect(await message(run)).toBe(
      `${run} is a training run folder (written by harma train), not a model folder. It holds no best.safetensors yet: harma train writes it when an epoch ends and its validation is the best so far. Then export it with:\n` +
        `  harma export --config '${run}/config.json' --adapters '${run}/best.safetensors' --out '${run}/model'`,
    );
    await writeFile(path.join(run, 'best.safetensors'), '');
    const plain = path.join(base, 'run2');
    await mkdir(plain);
    await writeFile(path.join(plain, 'config.json'), JSON.stringify(runConfig));
    await writeFile(path.join(plain, 'best.safetensors'), '');
    expect(await message(plain)).toBe(
      `${plain} is a training run folder (written by harma train), not a model folder. Export the run's best adapters into a model folder, then use that folder (${plain}/model):\n` +
        `  harma export --config ${plain}/config.json --adapters ${plain}/best.safetensors --out ${plain}/model`,
    );
  });

  it('says what a model folder holds and how to make one, for any other folder', async () => {
    const empty = path.join(base, 'empty');
    await mkdir(empty);
    expect(await message(empty)).toBe(`${path.join(empty, 'config.json')}: not found, so ${empty} is not a model folder. ${MODEL_FOLDER_CONTENTS} ${MAKE_MODEL_FOLDER}`);
    expect(await message(path.join(base, 'missing'))).toBe(`${path.join(base, 'missing')}: no such folder. ${MODEL_FOLDER_CONTENTS} ${MAKE_MODEL_FOLDER}`);
    await writeFile(path.join(base, 'a-file'), 'x');
    expect(await message(path.join(base, 'a-file'))).toBe(`${path.join(base, 'a-file')} is a file, not a model folder. ${MODEL_FOLDER_CONTENTS} ${MAKE_MODEL_FOLDER}`);
    const model = path.join(base, 'model');
    await mkdir(path.join(model, 'onnx'), { recursive: true });
    await writeFile(path.join(model, 'config.json'), '{}');
    expect(await message(path.join(model, 'onnx'))).toBe(`${path.join(model, 'onnx', 'config.json')}: not found; ${path.join(model, 'onnx')} is the onnx/ folder inside a model folder: use ${model}`);
    expect(await message(model)).toBe(`${path.join(model, 'config.json')}: no harma section, so not a model folder written by harma export. ${MODEL_FOLDER_CONTENTS} ${MAKE_MODEL_FOLDER}`);
  });
});

describe('INFERENCE_VERSION', () => {
  it('is the version in package.json (what exports record as their producer)', () => {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(INFERENCE_VERSION).toBe(manifest.version);
  });
});
