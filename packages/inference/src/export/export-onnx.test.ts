import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '@harma/core';
import { PORTABLE_BACKENDS, expectAllClose } from '@harma/core/testing';
import { GOLDEN_MODELS, testTokenizer, loadGoldenFixture, type GoldenFixture } from '../../test/golden-model';
import { createOrtEncoder, type OrtEncoder } from '../encoder/ort-encoder';
import { createTfjsEncoder } from '../encoder/tfjs-encoder';
import { embeddingAgreement } from '../eval/embedding-agreement';
import { decodeOnnxModel } from '@harma/core';
import { exportOnnx, type OnnxExport } from './export-onnx';
import { verifyExport } from './verify-export';

function rows(tensor: tf.Tensor, count: number): tf.Tensor {
  return tf.slice(tensor, 0, count);
}

const int32Rows = (tensor: tf.Tensor, count: number): Int32Array => rows(tensor, count).dataSync() as Int32Array;
const floatRows = (tensor: tf.Tensor, count: number): Float32Array => rows(tensor, count).dataSync() as Float32Array;

describe.each(PORTABLE_BACKENDS)('exportOnnx on the golden fixtures, traced on %s', (backend) => {
  describe.each(GOLDEN_MODELS)('%s', (name) => {
    let fixture: GoldenFixture;
    let dir: string;
    let exported: OnnxExport;
    let fp32: OrtEncoder;

    beforeAll(async () => {
      await useBackend(backend);
      fixture = await loadGoldenFixture(name);
      dir = await mkdtemp(path.join(os.tmpdir(), `harma-export-${name}-`));
      exported = await exportOnnx(fixture.model, dir, { tokenizer: testTokenizer(16), metadata: { fixture: name } });
      // One session run per call: the batch is the count, so the graph sees batch sizes 1, 3 and 6.
      fp32 = await createOrtEncoder(dir, { batchSize: 64 });
    });

    afterAll(async () => {
      await fp32?.dispose();
      fixture?.model.dispose();
      await rm(dir, { recursive: true, force: true });
    });

    it('matches the reference embeddings of outputs.safetensors at batch sizes 1, 3 and 6', async () => {
      for (const count of [1, 3, 6]) {
        const images = await fp32.encodeImages(floatRows(fixture.inputs.get('images') as tf.Tensor, count), count);
        const texts = await fp32.encodeTexts(int32Rows(fixture.inputs.get('text') as tf.Tensor, count), count);
        expectAllClose(images, floatRows(fixture.outputs.get('image_emb') as tf.Tensor, count), { atol: 1e-4 }, `image_emb, batch ${count}`);
        expectAllClose(texts, floatRows(fixture.outputs.get('text_emb') as tf.Tensor, count), { atol: 1e-4 }, `text_emb, batch ${count}`);
      }
    });

    it('matches the tfjs model it was traced from to 1e-4 (verifyExport)', async () => {
      const parity = await verifyExport(dir, fixture.model, { batch: 5, tolerance: 1e-4 });
      expect(parity.vision.maxAbsDifference).toBeLessThan(1e-4);
      expect(parity.text.maxAbsDifference).toBeLessThan(1e-4);
      const tfjs = createTfjsEncoder(fixture.model);
      const ids = int32Rows(fixture.inputs.get('text') as tf.Tensor, 6);
      // BigInt64 ids (what the graph takes) and int32 ids give the same embeddings.
      expectAllClose(await fp32.encodeTexts(BigInt64Array.from(ids, BigInt), 6), await tfjs.encodeTexts(ids, 6), { atol: 1e-4 });
    });

    it('writes a Hugging Face folder: transformers\' CLIPConfig, the harma section, the preprocessor, the tokenizer, the graphs in onnx/', async () => {
      const config = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8'));
      const tokenizer = testTokenizer(16);
      expect(config).toMatchObject({
        model_type: 'clip',
        projection_dim: 32,
        text_config: { hidden_size: 48, num_hidden_layers: 2, max_position_embeddings: 16, vocab_size: 1000, hidden_act: name === 'tiny-gelu' ? 'gelu' : 'quick_gelu', bos_token_id: tokenizer.startOfTextId, eos_token_id: tokenizer.endOfTextId, pad_token_id: 0 },
        vision_config: { hidden_size: 64, num_hidden_layers: 2, image_size: 32, patch_size: 8 },
        harma: {
          format: 'harma-onnx',
          formatVersion: 3,
          opset: 20,
          embedDim: 32,
          normalized: true,
          backbone: {
            kind: 'clip',
            specificationVersion: 'v2',
            config: { embedDim: 32, activation: name === 'tiny-gelu' ? 'gelu' : 'quick_gelu', text: { vocabSize: 1000 } },
            towers: { vision: { width: 64, layers: 2 }, text: { width: 48, layers: 2 } },
          },
          preprocess: { size: 32, resize: 'squash', interpolation: 'bicubic' },
          tokenizer: {
            kind: 'clip-bpe',
            contextLength: 16,
            padId: 0,
            vocabularySize: tokenizer.vocabularySize,
            files: ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.json', 'merges.txt'],
          },
          vision: { file: 'onnx/vision_model.onnx', quantized: 'onnx/vision_model_quantized.onnx', input: 'pixel_values', output: 'image_embeds', inputShape: ['batch_size', 3, 32, 32] },
          text: { file: 'onnx/text_model.onnx', quantized: 'onnx/text_model_quantized.onnx', input: 'input_ids', output: 'text_embeds', inputShape: ['batch_size', 16], inputType: 'int64' },
          metadata: { fixture: name },
        },
      });
      // The whole model has a transformers class: no separate text config (its text_config is above).
      expect(config.harma.transformers).toEqual({ modelType: 'clip' });
      const preprocessor = JSON.parse(await readFile(path.join(dir, 'preprocessor_config.json'), 'utf8'));
      expect(preprocessor).toEqual({
        image_processor_type: 'CLIPImageProcessor',
        do_convert_rgb: true,
        do_resize: true,
        size: { height: 32, width: 32 },
        resample: 3,
        do_center_crop: false,
        crop_size: { height: 32, width: 32 },
        do_rescale: true,
        rescale_factor: 1 / 255,
        do_normalize: true,
        image_mean: [...fixture.model.preprocess.mean],
        image_std: [...fixture.model.preprocess.std],
      });
      const vision = decodeOnnxModel(await readFile(path.join(dir, 'onnx', 'vision_model.onnx')), 'vision_model.onnx');
      expect(vision.opsetImport.find((set) => !set.domain)?.version).toBe(20);
      expect(vision.graph.input[0]?.type.tensorType.shape?.dim).toEqual([{ dimParam: 'batch_size' }, { dimValue: 3 }, { dimValue: 32 }, { dimValue: 32 }]);
      // Weights are initializers under their state-dict names, adapters included.
      const names = new Set(vision.graph.initializer.map((t) => t.name));
      for (const weight of ['visual.conv1.weight', 'visual.transformer.resblocks.1.mlp.c_fc.weight', 'visual.transformer.resblocks.1.mmadapter.img_proj_up.weight', 'visual.transformer.resblocks.0.gate1']) {
        expect(names).toContain(weight);
      }
    });

    it('fuses layer norms and activations into ONNX operators', () => {
      for (const tower of [exported.vision, exported.text]) {
        expect(tower.operators.LayerNormalization).toBeGreaterThanOrEqual(5);
        // Adapters always use exact GELU; the backbone's own activation follows the config.
        expect(tower.operators.Gelu).toBe(name === 'tiny-gelu' ? 4 : 2);
        expect(tower.operators['com.microsoft.QuickGelu'] ?? 0).toBe(name === 'tiny-gelu' ? 0 : 2);
        expect(tower.operators.Erf ?? 0).toBe(0);
      }
    });

    it('writes int8 variants that load and stay within cosine 0.99 of fp32 on random inputs', async () => {
      expect(exported.vision.quantization?.quantized).toContain('visual.transformer.resblocks.0.mlp.c_fc.weight');
      const int8 = await createOrtEncoder(dir, { precision: 'int8' });
      try {
        const count = 8;
        const pixels = tf.randomNormal([count, 3, 32, 32], 0, 1, 'float32', 3);
        const ids = new Int32Array(count * 16);
        for (let row = 0; row < count; row++) {
          ids[row * 16] = 998;
          for (let t = 1; t < 4 + row; t++) ids[row * 16 + t] = 1 + ((row * 37 + t * 101) % 990);
          ids[row * 16 + 4 + row] = 999;
        }
        const images = pixels.dataSync() as Float32Array;
        pixels.dispose();
        const image = embeddingAgreement(await fp32.encodeImages(images, count), await int8.encodeImages(images, count), 32);
        const text = embeddingAgreement(await fp32.encodeTexts(ids, count), await int8.encodeTexts(ids, count), 32);
        expect(image.minCosine).toBeGreaterThanOrEqual(0.99);
        expect(text.minCosine).toBeGreaterThanOrEqual(0.99);
        // It is a different computation: the embeddings move.
        expect(image.maxAbsDifference).toBeGreaterThan(1e-6);
      } finally {
        await int8.dispose();
      }
    });
  });
});
