import { readFileSync } from 'node:fs';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { loadSafetensors } from '@harma/core';
import { fixturePath, parseGoldenModelConfig } from '@harma/test-support';
import { attachHarma } from '@harma/adapters';
import { ClipTokenizer, createClip, trainBpeVocabulary, loadWeights, validateClipConfig, type ClipModel } from '@harma/backbones';

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
  const config = parseGoldenModelConfig(JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')), path.join(dir, 'config.json'));
  const model = createClip(validateClipConfig(config.clip, `golden ${name}/config.json`));
  attachHarma(model, config.harma);
  const weights = await loadWeights(path.join(dir, 'weights.safetensors'));
  model.module.loadStateDict(weights);
  for (const tensor of weights.values()) tensor.dispose();
  const inputs = (await loadSafetensors(path.join(dir, 'inputs.safetensors'))).tensors;
  const outputs = (await loadSafetensors(path.join(dir, 'outputs.safetensors'))).tensors;
  return { dir, model, inputs, outputs };
}
