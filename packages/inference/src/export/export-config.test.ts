import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { INFERENCE_VERSION } from '../version';
import { parseExportConfig, parseExportConfigFile, tokenizerDescriptionOf } from './export-config';

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

  it('says when a folder is not an export, and what a Hugging Face CLIP folder is for', () => {
    expect(() => parseExportConfigFile({ model_type: 'clip' }, 'hf/config.json')).toThrow(
      'hf/config.json: no harma section, so not a model folder written by harma export (a Hugging Face CLIP folder is a backbone to train from: harma train --backbone <folder>)',
    );
    expect(() => parseExportConfigFile([], 'x')).toThrow('x: not a JSON object');
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

describe('INFERENCE_VERSION', () => {
  it('is the version in package.json (what exports record as their producer)', () => {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(INFERENCE_VERSION).toBe(manifest.version);
  });
});
