import type * as tf from '@tensorflow/tfjs-core';
import { attachHarma } from '@harma/adapters';
import { createClip, loadWeights, type ClipModel } from '@harma/backbones';
import { fixtureModel } from './fixture-config';
import { fixtureInput, type ModelComputer, type ModelFixture } from './model-fixture';

/**
 * Build the fixture's CLIP with HarMA attached and every weight loaded through the public loaders
 * (so `--weights weights.pt`, `harma_checkpoint.pth` or `weights.hf.safetensors,adapters.safetensors`
 * exercise them). The caller disposes the model.
 */
export async function buildHarmaClip(fixture: ModelFixture): Promise<ClipModel> {
  const { clip, harma } = fixtureModel(fixture.config);
  const model = createClip(clip);
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


/** Embeddings and every block state of the adapted model: `image_emb`, `text_emb`, `image_tokens_block{i}`, `text_tokens_block{i}`. */
export const harmaForwardComputer: ModelComputer = {
  label: 'HarMA forward',
  async compute(fixture) {
    const model = await buildHarmaClip(fixture);
    try {
      const image = model.forwardImage(fixtureInput(fixture, 'images'), { hiddenStates: true });
      const text = model.forwardText(fixtureInput(fixture, 'text'), { hiddenStates: true });
      const out = new Map<string, tf.Tensor>([
        ['image_emb', image.features],
        ['text_emb', text.features],
      ]);
      image.hiddenStates.forEach((state, i) => out.set(`image_tokens_block${i}`, state));
      text.hiddenStates.forEach((state, i) => out.set(`text_tokens_block${i}`, state));
      return out;
    } finally {
      model.dispose();
    }
  },
};
