import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom, useBackend } from '@harma/core';
import { expectAllClose } from '@harma/core/testing';
import { createClip, type ClipConfig } from '@harma/backbones';
import { attachHarma } from '@harma/adapters';
import { batchGradients, type TrainingBatch } from '@harma/losses';
import { randomTrainingBatch } from './random-training-batch';

const config: ClipConfig = {
  embedDim: 16,
  vision: { imageSize: 16, patchSize: 8, width: 32, layers: 2, heads: 2, mlpRatio: 2 },
  text: { contextLength: 8, vocabSize: 50, width: 24, layers: 2, heads: 2, mlpRatio: 2 },
  activation: 'gelu',
  layerNormEps: 1e-5,
};

function makeBatch(size: number, rng: SeededRandom): TrainingBatch {
  // Pairs 0/1 and 4/5 share an image id.
  return randomTrainingBatch(size, rng, [[1, 0], [5, 4]]);
}

// `@harma/losses`' gradient caching on the trainer's model (CLIP with HarMA attached and frozen).
describe.each(['cpu', 'wasm'] as const)('batchGradients on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('accumulating over micro-batches gives the whole-batch loss and gradients', () => {
    const rng = new SeededRandom(3);
    const clip = createClip(config, { rng });
    const attachment = attachHarma(clip, { vision: { bottleneck: 8, heads: 2 }, text: { bottleneck: 8, heads: 2 }, bishareHeads: 2, rng });
    // Non-zero up-projections, so the adapters (and their gradients) matter.
    for (const [name, parameter] of attachment.namedParameters()) {
      if (name.includes('img_proj_up') || name.includes('.l2.')) parameter.assign(tf.tensor(rng.fillNormal(parameter.size, 0, 0.05), parameter.shape));
    }
    attachment.freeze();
    const trainable = clip.module.trainableParameters();
    const batch = makeBatch(7, rng);
    const loss = { contrastive: 1, triplet: 1, uniformity: 0, margin: 0.2, gamma: 2 };
    const whole = batchGradients(clip, attachment.temperature, trainable, batch, { loss });
    for (const micro of [3, 1]) {
      const accumulated = batchGradients(clip, attachment.temperature, trainable, batch, { loss, microBatchSize: micro });
      expect(accumulated.terms.total).toBeCloseTo(whole.terms.total, 5);
      expect(accumulated.terms.contrastive).toBeCloseTo(whole.terms.contrastive, 5);
      expect([...accumulated.gradients.keys()].sort()).toEqual([...whole.gradients.keys()].sort());
      for (const [name, gradient] of whole.gradients) {
        expectAllClose(accumulated.gradients.get(name)!, gradient, { atol: 1e-6, rtol: 1e-4 }, `${name} (micro-batch ${micro})`);
      }
      tf.dispose([...accumulated.gradients.values()]);
    }
    const norm = Math.sqrt([...whole.gradients.values()].reduce((s, g) => s + (tf.sum(tf.square(g)).dataSync()[0] as number), 0));
    expect(norm).toBeGreaterThan(1e-4);
    expect(whole.gradients.has('temp')).toBe(true);
    tf.dispose([...whole.gradients.values()]);
  });

  it('keeps the tensor count flat across steps', () => {
    const rng = new SeededRandom(4);
    const clip = createClip(config, { rng });
    const attachment = attachHarma(clip, { vision: { bottleneck: 8, heads: 2 }, text: { bottleneck: 8, heads: 2 }, bishareHeads: 2, rng });
    attachment.freeze();
    const trainable = clip.module.trainableParameters();
    const batch = makeBatch(4, rng);
    const loss = { contrastive: 1, triplet: 1, uniformity: 0, margin: 0.2, gamma: 2 };
    const run = (): void => tf.dispose([...batchGradients(clip, attachment.temperature, trainable, batch, { loss, microBatchSize: 2 }).gradients.values()]);
    run();
    const before = tf.memory().numTensors;
    run();
    run();
    expect(tf.memory().numTensors).toBe(before);
  });
});
