import { readFileSync } from 'node:fs';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { loadSafetensors } from '@harma/core';
import { fixturePath } from '@harma/test-support';
import { attachHarma, type HarmaOptions } from '@harma/adapters';
import { ClipTokenizer, createClip, trainBpeVocabulary, loadWeights, validateClipConfig, type ClipConfig, type ClipModel } from '@harma/backbones';

export const GOLDEN_MODELS = ['tiny-gelu', 'tiny-quickgelu'] as const;

/**
 * A CLIP tokenizer for test models without a vocabulary of their own: the 512 byte tokens, up to
 * 20 merges learned from a few captions and the two special tokens (at most 534 ids), so it fits
 * any text tower with that many token rows.
 */
export function testTokenizer(contextLength: number): ClipTokenizer {
  const vocabulary = trainBpeVocabulary(['a river between green fields', 'two bridges over a canal', 'a harbour with many boats'], { merges: 20 });
  return new ClipTokenizer(vocabulary, { contextLength });
}
export type GoldenModel = (typeof GOLDEN_MODELS)[number];

type Json = Record<string, unknown>;

function section(config: Json, name: string): Json {
  const value = config[name];
  if (typeof value !== 'object' || value === null) throw new Error(`config.json: '${name}' is not an object`);
  return value as Json;
}

/** The CLIP architecture of a golden fixture (as tools/golden's clipConfigFromFixture reads it). */
export function clipConfigFromFixture(config: Json): ClipConfig {
  const vision = section(config, 'vision');
  const text = section(config, 'text');
  return validateClipConfig(
    {
      embedDim: config.embed_dim,
      vision: { imageSize: vision.image_size, patchSize: vision.patch_size, width: vision.width, layers: vision.layers, heads: vision.heads, mlpRatio: vision.mlp_ratio },
      text: { contextLength: text.context_length, vocabSize: text.vocab_size, width: text.width, layers: text.layers, heads: text.heads, mlpRatio: text.mlp_ratio },
      activation: config.act,
      layerNormEps: config.ln_eps,
    },
    'config.json',
  );
}

/** The fixture's adapter block as attachHarma options (BiShare in the text tower, as the fixtures). */
export function harmaOptionsFromFixture(config: Json): HarmaOptions {
  const adapter = section(config, 'adapter');
  const bottleneck = adapter.bottleneck as number;
  const heads = adapter.heads as number;
  return { vision: { bottleneck, heads }, text: { bottleneck, heads }, bishare: adapter.vision_bishare ? 'both' : 'text', bishareHeads: adapter.share_heads as number };
}

export interface GoldenFixture {
  dir: string;
  model: ClipModel;
  /** `images` [6,3,32,32], `text` [6,16] int32. */
  inputs: Map<string, tf.Tensor>;
  /** `image_emb`, `text_emb` [6,32] and the rest of outputs.safetensors. */
  outputs: Map<string, tf.Tensor>;
}

/** Build a golden fixture's CLIP with HarMA attached and every weight loaded (the caller disposes `model`). */
export async function loadGoldenFixture(name: GoldenModel): Promise<GoldenFixture> {
  const dir = fixturePath('golden', name);
  const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as Json;
  const model = createClip(clipConfigFromFixture(config));
  attachHarma(model, harmaOptionsFromFixture(config));
  const weights = await loadWeights(path.join(dir, 'weights.safetensors'));
  model.module.loadStateDict(weights);
  for (const tensor of weights.values()) tensor.dispose();
  const inputs = (await loadSafetensors(path.join(dir, 'inputs.safetensors'))).tensors;
  const outputs = (await loadSafetensors(path.join(dir, 'outputs.safetensors'))).tensors;
  return { dir, model, inputs, outputs };
}
