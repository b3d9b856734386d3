import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '@harma/core';
import { loadGoldenFixture, testTokenizer, type GoldenFixture } from '../../test/golden-model';
import { exportOnnx } from '../export/export-onnx';
import { createOrtEncoder } from './ort-encoder';
import { createTfjsEncoder } from './tfjs-encoder';

describe('ORT encoder errors', () => {
  let fixture: GoldenFixture;
  let dir: string;

  beforeAll(async () => {
    await useBackend('wasm');
    fixture = await loadGoldenFixture('tiny-gelu');
    dir = await mkdtemp(path.join(os.tmpdir(), 'harma-ort-errors-'));
    await exportOnnx(fixture.model, dir, { quantize: false, tokenizer: testTokenizer(16) });
  });

  afterAll(async () => {
    fixture?.model.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('names the missing config.json', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'harma-empty-'));
    try {
      await expect(createOrtEncoder(empty)).rejects.toThrow(`${path.join(empty, 'config.json')}: not found`);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('names a missing graph file when the tower is first used', async () => {
    const partial = await mkdtemp(path.join(os.tmpdir(), 'harma-partial-'));
    try {
      await copyFile(path.join(dir, 'config.json'), path.join(partial, 'config.json'));
      const encoder = await createOrtEncoder(partial);
      await expect(encoder.encodeImages(new Float32Array(3 * 32 * 32), 1)).rejects.toThrow(`${path.join(partial, 'onnx', 'vision_model.onnx')}: not found`);
      await encoder.dispose();
    } finally {
      await rm(partial, { recursive: true, force: true });
    }
  });

  it('names the field of an invalid config.json', async () => {
    const broken = await mkdtemp(path.join(os.tmpdir(), 'harma-broken-'));
    try {
      await writeFile(path.join(broken, 'config.json'), JSON.stringify({ format: 'harma-onnx', formatVersion: 1 }));
      await expect(createOrtEncoder(broken)).rejects.toThrow(/config\.json: producer: Required/);
    } finally {
      await rm(broken, { recursive: true, force: true });
    }
  });

  it('refuses the int8 precision when the export has no int8 variant', async () => {
    const encoder = await createOrtEncoder(dir, { precision: 'int8' });
    await expect(encoder.encodeTexts(new Int32Array(16), 1)).rejects.toThrow(/text\.quantized is missing/);
    await encoder.dispose();
  });

  it('refuses inputs of the wrong size for both engines, naming the expected shape', async () => {
    for (const encoder of [await createOrtEncoder(dir), createTfjsEncoder(fixture.model)]) {
      await expect(encoder.encodeImages(new Float32Array(100), 1)).rejects.toThrow('encodeImages: 100 values for 1 images; expected 1 × 3 × 32 × 32 = 3072');
      await expect(encoder.encodeTexts(new Int32Array(15), 1)).rejects.toThrow('encodeTexts: 15 ids for 1 captions; expected 1 × 16 (context length, zero padded) = 16');
      await expect(encoder.encodeImages(new Float32Array(0), 1.5)).rejects.toThrow(/count must be a non-negative integer/);
      await encoder.dispose();
    }
  });

  it('reports the wrong shape of a direct session run', async () => {
    const { createOrtRunner } = await import('../runtime/ort-runtime');
    const runner = await createOrtRunner(path.join(dir, 'onnx', 'vision_model.onnx'));
    await expect(runner.run(new Float32Array(3 * 16 * 16), [1, 3, 16, 16])).rejects.toThrow(/vision_model\.onnx: run on float32 \[1,3,16,16\] failed/);
    await runner.release();
  });

  it('returns an empty array for zero items and is unusable once disposed', async () => {
    const encoder = await createOrtEncoder(dir);
    expect(await encoder.encodeImages(new Float32Array(0), 0)).toEqual(new Float32Array(0));
    await encoder.dispose();
    await expect(encoder.encodeTexts(new Int32Array(16), 1)).rejects.toThrow(/disposed/);
  });
});
