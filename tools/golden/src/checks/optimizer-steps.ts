import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { AdamW, LinearSchedule, type Backbone } from '@harma/core';
import { freezeForHarma } from '@harma/adapters';
import { batchGradients } from '@harma/losses';
import { buildHarmaClip } from './harma-forward';
import { runningStatistics } from './training-mode';
import { fixtureInput, type ModelComputer } from './model-fixture';

const optimizerSchema = z.object({
  lr: z.number(),
  weight_decay: z.number(),
  betas: z.tuple([z.number(), z.number()]),
  eps: z.number(),
  warmup_fraction: z.number(),
  total_steps: z.number().int().positive(),
  steps: z.number().int().positive(),
  no_decay_keys: z.array(z.string()),
});
const lossSchema = z.object({ margin: z.number(), gamma: z.number() });


/**
 * The training step on the fixture batch, repeated `optimizer.steps` times in training mode: the
 * HarMA objective and its gradients (`@harma/losses`' `batchGradients`, the code `harma train`
 * runs), AdamW with the fixture's settings and the linear warm-up schedule. Returns
 * `train.loss_total` (the loss before each step), `after.<name>` for every trainable parameter
 * and, for a backbone with BatchNorm, `after_buffer.<name>` for every running statistic (one
 * update per step).
 */
export const optimizerStepsComputer: ModelComputer = {
  label: 'optimiser steps',
  async compute(fixture) {
    const optimizer = optimizerSchema.parse(fixture.config.optimizer);
    const loss = lossSchema.parse(fixture.config.loss);
    const model = await buildHarmaClip(fixture);
    try {
      freezeForHarma(model);
      (model as Backbone).setTraining?.(true);
      const trainable = model.module.trainableParameters();
      const temperature = model.module.parameter('temp');
      const images = fixtureInput(fixture, 'images');
      const text = fixtureInput(fixture, 'text');
      const batch = {
        pixels: images.dataSync() as Float32Array,
        tokens: Int32Array.from(text.dataSync()),
        imageIds: Int32Array.from(fixtureInput(fixture, 'idx').dataSync()),
        size: images.shape[0] as number,
        imageSize: images.shape[2] as number,
      };
      const adamw = new AdamW(trainable, {
        lr: optimizer.lr,
        betas: optimizer.betas,
        eps: optimizer.eps,
        weightDecay: optimizer.weight_decay,
        noDecayKeys: optimizer.no_decay_keys,
      });
      const schedule = new LinearSchedule({ totalSteps: optimizer.total_steps, warmupFraction: optimizer.warmup_fraction });
      const losses: number[] = [];
      for (let k = 0; k < optimizer.steps; k++) {
        const { terms, gradients } = batchGradients(model, temperature, trainable, batch, {
          loss: { contrastive: 1, triplet: 1, uniformity: 0, margin: loss.margin, gamma: loss.gamma },
        });
        losses.push(terms.total);
        adamw.step(gradients, { lr: optimizer.lr * schedule.factor(k) });
        tf.dispose([...gradients.values()]);
      }
      adamw.dispose();
      const out = new Map<string, tf.Tensor>([['train.loss_total', tf.tensor1d(losses)]]);
      for (const [name, parameter] of trainable) out.set(`after.${name}`, tf.clone(parameter.value));
      for (const [name, statistic] of runningStatistics(model)) out.set(`after_buffer.${name}`, tf.clone(statistic.value));
      return out;
    } finally {
      model.dispose();
    }
  },
};
