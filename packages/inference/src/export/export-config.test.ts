import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { INFERENCE_VERSION } from '../version';
import { parseExportConfig } from './export-config';

const valid = {
  format: 'harma-onnx',
  formatVersion: 1,
  producer: { name: '@harma/inference', version: '0.1.0' },
  opset: 20,
  backbone: { kind: 'clip', specificationVersion: 'v1', parameters: 10 },
  embedDim: 512,
  normalized: true,
  preprocess: { size: 224, mean: [0.5, 0.5, 0.5], std: [0.2, 0.2, 0.2], resize: 'squash', interpolation: 'bicubic' },
  tokenizer: { contextLength: 77, padId: 0 },
  vision: { file: 'vision_model.onnx', input: 'pixel_values', output: 'image_embeds', inputShape: ['batch_size', 3, 224, 224], inputType: 'float32' },
  text: { file: 'text_model.onnx', input: 'input_ids', output: 'text_embeds', inputShape: ['batch_size', 77], inputType: 'int64' },
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

describe('INFERENCE_VERSION', () => {
  it('is the version in package.json (what exports record as their producer)', () => {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(INFERENCE_VERSION).toBe(manifest.version);
  });
});
