import * as tf from '@tensorflow/tfjs-core';
import { Parameter, SeededRandom, normalTensor, useBackend } from '@harma/core';
import { PORTABLE_BACKENDS } from '@harma/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { harmaObjective } from './harma-objective';
import { objectiveHead } from './objective-head';

const BATCH = 6;
const DIM = 5;
const IDS = new Int32Array([0, 0, 1, 2, 3, 2]);
const LOSS = { contrastive: 0.5, triplet: 2, uniformity: 0.25, margin: 0.3, gamma: 1.5 };

describe.each(PORTABLE_BACKENDS)('objectiveHead on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  function embeddings(seed: string): { image: tf.Tensor; text: tf.Tensor } {
    const rng = new SeededRandom(seed);
    const unitRows = (): tf.Tensor => tf.tidy(() => {
      const x = normalTensor([BATCH, DIM], rng);
      return tf.div(x, tf.norm(x, 'euclidean', 1, true));
    });
    return { image: unitRows(), text: unitRows() };
  }

  it('gives the objective’s terms and exactly tf.grads’ gradients w.r.t. both embeddings and temp', () => {
    const { image, text } = embeddings('head');
    const temperature = new Parameter(tf.scalar(0.05));
    const head = objectiveHead(image, text, { temperature, imageIds: IDS, loss: LOSS });
    const objective = harmaObjective(image, text, { ...LOSS, temperature: temperature.value, imageIds: IDS });
    expect(head.terms).toEqual({
      total: objective.total.dataSync()[0],
      contrastive: objective.contrastive.dataSync()[0],
      triplet: objective.triplet.dataSync()[0],
      uniformity: objective.uniformity!.dataSync()[0],
    });
    const [dImage, dText, dTemperature] = tf.grads((a: tf.Tensor, b: tf.Tensor, t: tf.Tensor) => harmaObjective(a, b, { ...LOSS, temperature: t, imageIds: IDS }).total)([
      image,
      text,
      temperature.value,
    ]);
    expect(head.imageGradient.shape).toEqual([BATCH, DIM]);
    expect(Array.from(head.imageGradient.dataSync())).toEqual(Array.from(dImage!.dataSync()));
    expect(Array.from(head.textGradient.dataSync())).toEqual(Array.from(dText!.dataSync()));
    expect(Array.from(head.temperatureGradient!.dataSync())).toEqual(Array.from(dTemperature!.dataSync()));
    expect(Math.abs(head.temperatureGradient!.dataSync()[0] as number)).toBeGreaterThan(1e-3);
    tf.dispose([image, text, head.imageGradient, head.textGradient, head.temperatureGradient!, dImage!, dText!, dTemperature!]);
    tf.dispose([objective.total, objective.contrastive, objective.triplet, objective.uniformity!]);
    temperature.dispose();
  });

  it('uses the paper’s loss by default and leaves out the gradient of a frozen temp', () => {
    const { image, text } = embeddings('defaults');
    const temperature = new Parameter(tf.scalar(0.07), { trainable: false });
    const head = objectiveHead(image, text, { temperature, imageIds: IDS });
    const paper = objectiveHead(image, text, { temperature, imageIds: IDS, loss: { contrastive: 1, triplet: 1, uniformity: 0, margin: 0.2, gamma: 2 } });
    expect(head.temperatureGradient).toBeUndefined();
    expect(head.terms.uniformity).toBeUndefined();
    expect(head.terms).toEqual(paper.terms);
    expect(head.terms.total).toBeCloseTo(head.terms.contrastive + head.terms.triplet, 5);
    tf.dispose([image, text, head.imageGradient, head.textGradient, paper.imageGradient, paper.textGradient]);
    temperature.dispose();
  });

  it('leaves no tensor behind but the gradients it returns', () => {
    const { image, text } = embeddings('memory');
    const temperature = new Parameter(tf.scalar(0.07));
    const before = tf.memory().numTensors;
    for (let k = 0; k < 3; k++) {
      const head = objectiveHead(image, text, { temperature, imageIds: IDS, loss: LOSS });
      expect(tf.memory().numTensors).toBe(before + 3);
      tf.dispose([head.imageGradient, head.textGradient, head.temperatureGradient!]);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([image, text]);
    temperature.dispose();
  });
});
