import * as tf from '@tensorflow/tfjs-core';
import { valueAndGradients, type Backbone } from '@harma/core';
import { freezeForHarma } from '@harma/adapters';
import { harmaObjective } from '@harma/losses';
import { buildHarmaClip } from './harma-forward';
import { fixtureInput, type ModelComputer } from './model-fixture';

function lossSetting(config: Record<string, unknown>, field: 'margin' | 'gamma'): number {
  const loss = config.loss as Record<string, unknown> | undefined;
  const value = loss?.[field];
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`config.json: loss.${field} must be a number, got ${JSON.stringify(value)}`);
  return value;
}


/**
 * The losses of the fixture batch through the adapted model (`loss_contrastive`,
 * `loss_triplet_weighted`, `loss_total`) and `grad.<name>` = d loss_total / d parameter for every
 * parameter the paper trains (frozen as `freezeForHarma` does), in training mode as the official
 * loop runs them (`model.train()`: a ResNet's BatchNorm uses the batch's statistics). A backbone
 * with modes also gives `eval.loss_total`, the loss in evaluation mode, computed first (a
 * training-mode pass updates the running statistics evaluation reads).
 */
export const harmaGradientsComputer: ModelComputer = {
  label: 'HarMA losses and gradients',
  async compute(fixture) {
    const model = await buildHarmaClip(fixture);
    try {
      freezeForHarma(model);
      const temperature = model.module.parameter('temp');
      const images = fixtureInput(fixture, 'images');
      const ids = fixtureInput(fixture, 'text');
      const imageIds = fixtureInput(fixture, 'idx');
      const options = { margin: lossSetting(fixture.config, 'margin'), gamma: lossSetting(fixture.config, 'gamma') };
      const out = new Map<string, tf.Tensor>();
      const backbone: Backbone = model;
      if (backbone.setTraining) {
        const evaluation = tf.tidy(() => harmaObjective(model.encodeImage(images), model.encodeText(ids), { temperature: temperature.value, imageIds, ...options }).total);
        out.set('eval.loss_total', tf.reshape(evaluation, [1]));
        evaluation.dispose();
        backbone.setTraining(true);
      }
      const terms: tf.Tensor[] = [];
      const { value, gradients } = valueAndGradients(() => {
        const objective = harmaObjective(model.encodeImage(images), model.encodeText(ids), { temperature: temperature.value, imageIds, ...options });
        terms.push(tf.keep(objective.contrastive), tf.keep(objective.triplet));
        return objective.total;
      }, model.module.trainableParameters());
      const [contrastive, triplet] = terms as [tf.Tensor, tf.Tensor];
      out.set('loss_contrastive', tf.reshape(contrastive, [1]));
      out.set('loss_triplet_weighted', tf.reshape(triplet, [1]));
      out.set('loss_total', tf.reshape(value, [1]));
      tf.dispose([contrastive, triplet, value]);
      for (const [name, gradient] of gradients) out.set(`grad.${name}`, gradient);
      return out;
    } finally {
      model.dispose();
    }
  },
};
