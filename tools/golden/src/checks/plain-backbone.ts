import type * as tf from '@tensorflow/tfjs-core';
import { loadClipStateDict, loadWeights } from '@harma/backbones';
import { createFixtureBackbone, fixtureModel } from './fixture-config';
import { imageOutputs } from './harma-forward';
import { fixtureInput, type ModelComputer, type ModelFixture } from './model-fixture';

/**
 * The names a fixture's weights may hold beyond the backbone: its `trainable` list (adapters,
 * gates, `temp`). Anything else left over is an error of the loaders.
 */
function adapterNames(fixture: ModelFixture): string[] {
  const trainable = fixture.config.trainable;
  if (!Array.isArray(trainable) || !trainable.every((name) => typeof name === 'string')) {
    throw new Error(`${fixture.dir}/config.json: 'trainable' is not a list of parameter names`);
  }
  return trainable;
}


/**
 * The plain CLIP backbone (no adapter attached): builds it from config.json, loads the fixture's
 * weight files through `loadWeights` (any format) strictly, with only the adapter names and
 * `temp` allowed to be left over, and computes `plain.text_emb`, every
 * `plain.text_tokens_block{i}` and, for a ViT, `plain.image_emb` and every
 * `plain.image_tokens_block{i}` (a ResNet image tower has no adapters: its outputs are the
 * HarMA forward's).
 */
export const plainBackboneComputer: ModelComputer = {
  label: 'plain backbone',
  async compute(fixture) {
    const allowed = adapterNames(fixture);
    const described = fixtureModel(fixture.config);
    const model = createFixtureBackbone(described);
    const weights = await loadWeights(fixture.weightFiles);
    try {
      // Strict: a missing, mis-shaped or unexpected non-adapter name throws a StateDictError naming the files.
      loadClipStateDict(model, weights, { ignore: allowed, source: fixture.weightFiles.join(', ') });
      const out = described.kind === 'clip' ? imageOutputs(model, fixtureInput(fixture, 'images'), 'plain.') : new Map<string, tf.Tensor>();
      const text = model.forwardText(fixtureInput(fixture, 'text'), { hiddenStates: true });
      out.set('plain.text_emb', text.features);
      text.hiddenStates.forEach((state, i) => out.set(`plain.text_tokens_block${i}`, state));
      return out;
    } finally {
      for (const tensor of weights.values()) tensor.dispose();
      model.dispose();
    }
  },
};
