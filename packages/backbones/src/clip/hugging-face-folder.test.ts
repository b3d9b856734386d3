import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom, createBackbone, loadSafetensors, useBackend, type Backbone, type JsonObject } from '@harma/core';
import { expectAllClose } from '@harma/core/testing';
import { describeWithReferenceData } from '@harma/test-support';
import { goldenClipConfig, goldenFile } from '../../test/golden-config';
import { writeHuggingFaceClipFolder, type HuggingFaceWeightLayout } from '../../test/hugging-face-folder-writer';
import { ensureBuiltInBackbones } from '../ensure-built-ins';
import { ClipTokenizer } from '../tokenizer/clip-tokenizer';
import { trainBpeVocabulary } from '../tokenizer/train-bpe';
import { buildBpeVocabulary, type BpeMerge, type BpeVocabulary } from '../tokenizer/vocabulary';
import { readBpeVocabulary } from '../tokenizer/vocabulary-files';
import { createClip, type ClipModel } from './clip-model';
import type { ClipConfig } from './config';
import { toHuggingFaceClipConfig } from './hugging-face-config';
import { readHuggingFaceClipFolder } from './hugging-face-folder';

const captions = [
  'many buildings and green trees are around a playground',
  'a bridge crosses the river between two parts of the town',
  'several white storage tanks stand near the harbour',
  'the airport has two runways and a terminal building',
  'green farmland lies beside a winding river',
];
const vocabulary = trainBpeVocabulary(captions, { merges: 40 });
const config: ClipConfig = {
  embedDim: 12,
  vision: { imageSize: 16, patchSize: 8, width: 16, layers: 2, heads: 2, mlpRatio: 2 },
  text: { contextLength: 12, vocabSize: vocabulary.encoder.size, width: 16, layers: 2, heads: 2, mlpRatio: 2 },
  activation: 'quick_gelu',
  layerNormEps: 1e-5,
};

let dir: string;
let original: ClipModel;
let pixels: tf.Tensor;
const texts = [...captions, 'an unseen caption about a stadium', ''];

beforeAll(async () => {
  await useBackend('cpu');
  ensureBuiltInBackbones();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'harma-hf-folder-'));
  original = createClip(config, { rng: new SeededRandom(7), tokenizer: new ClipTokenizer(vocabulary, { contextLength: config.text.contextLength }) });
  // A non-default logit_scale, to see that the folder's own value is the one loaded.
  original.module.logitScale.assign(tf.scalar(3.25));
  pixels = tf.randomNormal([3, 3, 16, 16], 0, 1, 'float32', 11);
});

afterAll(async () => {
  original.dispose();
  pixels.dispose();
  await fs.rm(dir, { recursive: true, force: true });
});

async function folderOf(name: string, weights: HuggingFaceWeightLayout = 'model.safetensors', input: Partial<Parameters<typeof writeHuggingFaceClipFolder>[1]> = {}): Promise<string> {
  const folder = path.join(dir, name);
  await writeHuggingFaceClipFolder(folder, { config, stateDict: original.module.stateDict(), vocabulary, weights, ...input });
  return folder;
}

/** Image and text embeddings of both models agree within 1e-5; the tokenizers give the same ids. */
function expectSameModel(loaded: Backbone): void {
  const tokenizer = original.tokenizer as ClipTokenizer;
  const ids = tokenizer.encode(texts);
  expect(loaded.tokenizer).toBeInstanceOf(ClipTokenizer);
  expect(Array.from(loaded.tokenizer?.encode(texts) ?? [])).toEqual(Array.from(ids));
  tf.tidy(() => {
    const idTensor = tf.tensor2d(ids, [texts.length, config.text.contextLength], 'int32');
    expectAllClose(loaded.encodeImage(pixels), original.encodeImage(pixels), { atol: 1e-5 }, 'image embeddings');
    expectAllClose(loaded.encodeText(idTensor), original.encodeText(idTensor), { atol: 1e-5 }, 'text embeddings');
  });
  expect(loaded.module.stateDict().get('logit_scale')?.dataSync()[0]).toBeCloseTo(3.25, 6);
}

describe('a Hugging Face CLIP folder as the clip backbone', () => {
  it.each<HuggingFaceWeightLayout>(['model.safetensors', 'sharded', 'pytorch_model.bin'])(
    'createBackbone("clip", { config: folder }) with %s gives the same model and tokenizer',
    async (layout) => {
      const folder = await folderOf(`whole-${layout}`, layout);
      const loaded = await createBackbone('clip', { config: folder });
      try {
        expect(loaded.describe().config).toEqual(original.describe().config);
        expectSameModel(loaded);
      } finally {
        loaded.dispose();
      }
    },
  );

  it('splits every q projection from its k and v in the sharded layout, which only a merged conversion reads', async () => {
    const folder = await folderOf('shard-check', 'sharded');
    const index = JSON.parse(await fs.readFile(path.join(folder, 'model.safetensors.index.json'), 'utf8')) as { weight_map: Record<string, string> };
    const shardOf = (name: string): string | undefined => index.weight_map[name];
    expect(shardOf('text_model.encoder.layers.0.self_attn.q_proj.weight')).not.toBe(shardOf('text_model.encoder.layers.0.self_attn.k_proj.weight'));
    const found = await readHuggingFaceClipFolder(folder);
    expect(found.weights).toEqual([path.join(folder, 'model-00001-of-00002.safetensors'), path.join(folder, 'model-00002-of-00002.safetensors')]);
  });

  it('reads the folder: sizes from config.json, weights and tokenizer files, eos_token_id', async () => {
    const folder = await folderOf('read');
    const found = await readHuggingFaceClipFolder(folder);
    expect(found).toEqual({ folder, config, weights: [path.join(folder, 'model.safetensors')], vocabulary: folder, eosTokenId: vocabulary.endOfTextId });
    expect(await readHuggingFaceClipFolder(folder, { weights: false, vocabulary: false })).toEqual({ folder, config, eosTokenId: vocabulary.endOfTextId });
  });

  it('takes weights and vocabulary given explicitly over the folder’s; an empty weight list loads none', async () => {
    const folder = await folderOf('explicit');
    await fs.rename(path.join(folder, 'model.safetensors'), path.join(dir, 'moved.safetensors'));
    for (const file of ['tokenizer.json', 'vocab.json', 'merges.txt']) await fs.rm(path.join(folder, file));
    const vocabFile = path.join(dir, 'moved-vocabulary');
    await (original.tokenizer as ClipTokenizer).save(vocabFile);
    const loaded = await createBackbone('clip', { config: folder, weights: [path.join(dir, 'moved.safetensors')], vocabulary: vocabFile });
    try {
      expectSameModel(loaded);
    } finally {
      loaded.dispose();
    }
    const seeded = await createBackbone('clip', { config: folder, weights: [], seed: 7, vocabulary: vocabFile });
    try {
      // Random from the seed, as createClip makes it: the architecture only came from the folder.
      tf.tidy(() => {
        expectAllClose(seeded.encodeImage(pixels), original.encodeImage(pixels), { atol: 1e-6 }, 'seeded image embeddings');
      });
    } finally {
      seeded.dispose();
    }
  });
});

describe('a Hugging Face CLIP folder: what is missing is named', () => {
  it('a missing folder, a file, no config.json, a model_type that is not clip', async () => {
    const absent = path.join(dir, 'absent');
    await expect(createBackbone('clip', { config: absent })).rejects.toThrow(`${absent}: no such folder (expected a Hugging Face CLIP folder`);
    const file = path.join(dir, 'a-file');
    await fs.writeFile(file, 'x');
    await expect(createBackbone('clip', { config: file })).rejects.toThrow(`${file}: not a folder`);
    const empty = path.join(dir, 'empty');
    await fs.mkdir(empty);
    await expect(createBackbone('clip', { config: empty })).rejects.toThrow(`${empty}: no config.json — not a Hugging Face model folder`);
    const vision = await folderOf('vision-only', 'model.safetensors', { configFields: { model_type: 'clip_vision_model' } });
    await expect(createBackbone('clip', { config: vision })).rejects.toThrow(
      `${path.join(vision, 'config.json')}: model_type is "clip_vision_model"; HarMA.js adapts a whole CLIP (model_type "clip"`,
    );
    await fs.writeFile(path.join(vision, 'config.json'), '{ not json');
    await expect(createBackbone('clip', { config: vision })).rejects.toThrow(`${path.join(vision, 'config.json')}: cannot read the model config`);
  });

  it('no weights, a harma export folder, a missing shard', async () => {
    const folder = await folderOf('no-weights');
    await fs.rm(path.join(folder, 'model.safetensors'));
    await expect(createBackbone('clip', { config: folder })).rejects.toThrow(
      `${folder}: no weights — a Hugging Face CLIP folder holds model.safetensors (or model.safetensors.index.json and its shards, or pytorch_model.bin); or give the weight files`,
    );
    await fs.writeFile(path.join(folder, 'tf_model.h5'), 'x');
    await expect(createBackbone('clip', { config: folder })).rejects.toThrow(/\(tf_model\.h5: TensorFlow and Flax weights are not read\)/);
    const exported = await folderOf('exported', 'model.safetensors', { configFields: { harma: { format: 3 } } });
    await fs.rm(path.join(exported, 'model.safetensors'));
    await expect(createBackbone('clip', { config: exported })).rejects.toThrow(/a folder written by harma export holds ONNX graphs, not weights — evaluate it with harma eval --model/);
    const sharded = await folderOf('missing-shard', 'sharded');
    await fs.rm(path.join(sharded, 'model-00002-of-00002.safetensors'));
    await expect(createBackbone('clip', { config: sharded })).rejects.toThrow(
      `${path.join(sharded, 'model.safetensors.index.json')}: names shard(s) the folder does not hold: model-00002-of-00002.safetensors`,
    );
  });

  it('no tokenizer files, or vocab.json without merges.txt', async () => {
    const folder = await folderOf('no-tokenizer');
    for (const file of ['tokenizer.json', 'merges.txt']) await fs.rm(path.join(folder, file));
    await expect(createBackbone('clip', { config: folder })).rejects.toThrow(`${folder}: has vocab.json but not the merges.txt that goes with it`);
    await fs.rm(path.join(folder, 'vocab.json'));
    await expect(createBackbone('clip', { config: folder })).rejects.toThrow(
      `${folder}: no tokenizer files — a Hugging Face CLIP folder holds tokenizer.json (or vocab.json + merges.txt); or give the vocabulary`,
    );
  });

  it('an end-of-text token that is not the largest id, or an eos_token_id that is not it', async () => {
    const mismatched = await folderOf('eos-mismatch', 'model.safetensors', { configFields: { text_config: { ...textConfigOf(config), eos_token_id: vocabulary.startOfTextId } } });
    await expect(createBackbone('clip', { config: mismatched })).rejects.toThrow(
      `${path.join(mismatched, 'config.json')}: text_config.eos_token_id is ${vocabulary.startOfTextId}, but the tokenizer's end-of-text id is ${vocabulary.endOfTextId}`,
    );
    // The legacy eos_token_id 2 means "the largest id", which is where this CLIP pools too.
    const legacy = await folderOf('eos-legacy', 'model.safetensors', { configFields: { text_config: { ...textConfigOf(config), eos_token_id: 2 } } });
    (await createBackbone('clip', { config: legacy })).dispose();
    // A token added after the end-of-text token, as fine-tuned vocabularies sometimes have.
    const extended: BpeVocabulary = { ...vocabulary, encoder: new Map([...vocabulary.encoder, ['stadium</w>', vocabulary.endOfTextId + 1]]) };
    const notLargest = await folderOf('eos-not-largest', 'model.safetensors', { vocabulary: extended });
    await expect(createBackbone('clip', { config: notLargest })).rejects.toThrow(
      `${notLargest}: the tokenizer's end-of-text id is ${vocabulary.endOfTextId}, not its largest id (${vocabulary.endOfTextId + 1})`,
    );
  });
});

function textConfigOf(clip: ClipConfig): JsonObject {
  return toHuggingFaceClipConfig(clip).text_config as JsonObject;
}

describe('the golden tiny-gelu weights as transformers saved them, in a folder', () => {
  it('give the reference embeddings of the plain backbone', async () => {
    const golden = goldenClipConfig('tiny-gelu');
    // 486 distinct merges make a 1,000-id vocabulary with the fixture's start and end ids (998, 999).
    const letters = 'abcdefghijklmnopqrstuvwxyz';
    const merges: BpeMerge[] = [...letters].flatMap((a) => [...letters].map((b): BpeMerge => [a, b])).slice(0, golden.text.vocabSize - 514);
    const goldenVocabulary = buildBpeVocabulary(merges);
    expect([goldenVocabulary.startOfTextId, goldenVocabulary.endOfTextId]).toEqual([998, 999]);
    const folder = path.join(dir, 'golden');
    await writeHuggingFaceClipFolder(folder, { config: golden, stateDict: new Map(), vocabulary: goldenVocabulary });
    await fs.copyFile(goldenFile('tiny-gelu', 'weights.hf.safetensors'), path.join(folder, 'model.safetensors'));
    const inputs = (await loadSafetensors(goldenFile('tiny-gelu', 'inputs.safetensors'))).tensors;
    const outputs = (await loadSafetensors(goldenFile('tiny-gelu', 'outputs.safetensors'), { filter: (name) => name.startsWith('plain.') && name.endsWith('_emb') })).tensors;
    const model = await createBackbone('clip', { config: folder });
    try {
      tf.tidy(() => {
        expectAllClose(model.encodeImage(inputs.get('images') as tf.Tensor), outputs.get('plain.image_emb') as tf.Tensor, { atol: 1e-4 }, 'image embeddings');
        expectAllClose(model.encodeText(inputs.get('text') as tf.Tensor), outputs.get('plain.text_emb') as tf.Tensor, { atol: 1e-4 }, 'text embeddings');
      });
    } finally {
      model.dispose();
      tf.dispose([...inputs.values(), ...outputs.values()]);
    }
  });
});

describeWithReferenceData('the OpenAI CLIP vocabulary in a Hugging Face folder', (reference) => {
  it('ends captions with id 49407, its largest, so the position pooled is the one transformers pools at', async () => {
    const openai = await readBpeVocabulary(path.join(reference, 'vocab', 'bpe_simple_vocab_16e6.txt.gz'));
    const large: ClipConfig = { ...config, text: { ...config.text, contextLength: 77, vocabSize: 49408 } };
    const folder = path.join(dir, 'openai-vocabulary');
    const model = createClip(large, { rng: new SeededRandom(3) });
    try {
      // openai/clip-vit-base-patch32's config.json says eos_token_id 2: the legacy "largest id" rule.
      await writeHuggingFaceClipFolder(folder, { config: large, stateDict: model.module.stateDict(), vocabulary: openai, configFields: { text_config: { ...textConfigOf(large), bos_token_id: 0, eos_token_id: 2, pad_token_id: 1 } } });
    } finally {
      model.dispose();
    }
    const loaded = await createBackbone('clip', { config: folder });
    try {
      const tokenizer = loaded.tokenizer as ClipTokenizer;
      expect([tokenizer.startOfTextId, tokenizer.endOfTextId, tokenizer.vocabularySize]).toEqual([49406, 49407, 49408]);
      const ids = tokenizer.encode(captions);
      expect(Array.from(ids)).toEqual(Array.from(new ClipTokenizer(openai).encode(captions)));
      for (let row = 0; row < captions.length; row++) {
        const line = Array.from(ids.subarray(row * 77, (row + 1) * 77));
        // transformers' legacy rule (argmax of the ids) and its new one (first eos_token_id) agree.
        expect(line.indexOf(Math.max(...line))).toBe(line.indexOf(49407));
      }
    } finally {
      loaded.dispose();
    }
  });
});
