import type * as tf from '@tensorflow/tfjs-core';
import { attachHarma } from '@harma/adapters';
import { ClipResNetModel, loadWeights } from '@harma/backbones';
import { createFixtureBackbone, fixtureModel, type FixtureBackbone } from './fixture-config';
import { fixtureInput, type ModelComputer, type ModelFixture } from './model-fixture';

/**
 * Build the fixture's CLIP with HarMA attached and every weight loaded through the public loaders
 * (so `--weights weights.pt`, `harma_checkpoint.pth` or `weights.hf.safetensors,adapters.safetensors`
 * exercise them). The caller disposes the model.
 */
export async function buildHarmaClip(fixture: ModelFixture): Promise<FixtureBackbone> {
  const described = fixtureModel(fixture.config);
  const { harma } = described;
  const model = createFixtureBackbone(described);
  try {
    attachHarma(model, harma);
    const weights = await loadWeights(fixture.weightFiles);
    try {
      model.module.loadStateDict(weights, { source: fixture.weightFiles.join(', ') });
    } finally {
      for (const tensor of weights.values()) tensor.dispose();
    }
    return model;
  } catch (error) {
    model.dispose();
    throw error;
  }
}


/**
 * The image embeddings and intermediate states of a fixture's backbone in evaluation mode: a
 * ViT's `{prefix}image_tokens_block{i}`, a ResNet's `{prefix}image_stage{i}` (stem, then each stage).
 */
export function imageOutputs(model: FixtureBackbone, images: tf.Tensor, prefix = ''): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  if (model instanceof ClipResNetModel) {
    const { features, stages } = model.forwardImage(images, { stages: true });
    out.set(`${prefix}image_emb`, features);
    stages.forEach((stage, i) => out.set(`${prefix}image_stage${i}`, stage));
  } else {
    const { features, hiddenStates } = model.forwardImage(images, { hiddenStates: true });
    out.set(`${prefix}image_emb`, features);
    hiddenStates.forEach((state, i) => out.set(`${prefix}image_tokens_block${i}`, state));
  }
  return out;
}

/**
 * Embeddings and every intermediate state of the adapted model: `image_emb`, `text_emb`,
 * `image_tokens_block{i}` (ViT) or `image_stage{i}` (ResNet, evaluation mode), `text_tokens_block{i}`.
 */
export const harmaForwardComputer: ModelComputer = {
  label: 'HarMA forward',
  async compute(fixture) {
    const model = await buildHarmaClip(fixture);
    try {
      const out = imageOutputs(model, fixtureInput(fixture, 'images'));
      const text = model.forwardText(fixtureInput(fixture, 'text'), { hiddenStates: true });
      out.set('text_emb', text.features);
      text.hiddenStates.forEach((state, i) => out.set(`text_tokens_block${i}`, state));
      return out;
    } finally {
      model.dispose();
    }
  },
};
