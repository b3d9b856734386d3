import * as tf from '@tensorflow/tfjs-core';
import type { Backbone, ModuleBuffer } from '@harma/core';
import type { FixtureBackbone } from './fixture-config';
import { buildHarmaClip } from './harma-forward';
import { fixtureInput, type ModelComputer } from './model-fixture';

/** Every BatchNorm running statistic of a backbone (`running_mean`, `running_var`), by name; none for a ViT. */
export function runningStatistics(model: FixtureBackbone): Array<[string, ModuleBuffer]> {
  return model.module.namedBuffers().filter(([name]) => /\.running_(mean|var)$/.test(name));
}

/**
 * One forward pass of the images in training mode (PyTorch's `model.train()`), for backbones with
 * modes: `train_mode.image_emb`, normalised with the batch's own statistics, and
 * `train_mode.buffer.<name>` for every running statistic after that pass. Nothing for a ViT.
 */
export const trainingModeComputer: ModelComputer = {
  label: 'training mode',
  async compute(fixture) {
    const model = await buildHarmaClip(fixture);
    try {
      const out = new Map<string, tf.Tensor>();
      const backbone: Backbone = model;
      if (!backbone.setTraining) return out;
      backbone.setTraining(true);
      out.set('train_mode.image_emb', model.encodeImage(fixtureInput(fixture, 'images')));
      for (const [name, statistic] of runningStatistics(model)) out.set(`train_mode.buffer.${name}`, tf.clone(statistic.value));
      return out;
    } finally {
      model.dispose();
    }
  },
};
