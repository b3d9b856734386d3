import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom, useBackend, valueAndGradients } from '@harma/core';
import { PORTABLE_BACKENDS, expectAllClose } from '@harma/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchGradients, type TrainingBatch } from './batch-gradients';
import { HARMA_LOSS_DEFAULTS, harmaObjective, type HarmaLossSettings } from './harma-objective';
import { expectFlatTensorCount } from '../test/flat-tensor-count';
import { TinyDualEncoder, tinyBatch } from '../test/tiny-dual-encoder';

/** The whole batch's objective differentiated in one pass, as a reference. */
function direct(encoder: TinyDualEncoder, batch: TrainingBatch, loss: HarmaLossSettings): { total: number; gradients: Map<string, tf.Tensor> } {
  const pixels = tf.tensor4d(batch.pixels, [batch.size, 3, batch.imageSize, batch.imageSize]);
  const tokens = tf.tensor2d(batch.tokens, [batch.size, batch.tokens.length / batch.size], 'int32');
  const { value, gradients } = valueAndGradients(
    () => harmaObjective(encoder.encodeImage(pixels), encoder.encodeText(tokens), { ...loss, temperature: encoder.temperature.value, imageIds: batch.imageIds }).total,
    encoder.trainable,
  );
  const total = value.dataSync()[0] as number;
  tf.dispose([value, pixels, tokens]);
  return { total, gradients };
}

describe.each(PORTABLE_BACKENDS)('batchGradients on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it.each([
    ['the paper’s loss', HARMA_LOSS_DEFAULTS],
    ['other weights and uniformity', { contrastive: 0.5, triplet: 2, uniformity: 0.3, margin: 0.3, gamma: 1.5 }],
  ])('on the whole batch is exactly the objective’s gradient (%s), every trainable parameter in order', (_, loss) => {
    const rng = new SeededRandom(8);
    const encoder = new TinyDualEncoder(rng);
    const batch = tinyBatch(6, rng);
    const expected = direct(encoder, batch, loss);
    const result = batchGradients(encoder, encoder.temperature, encoder.trainable, batch, { loss });
    expect(result.terms.total).toBe(expected.total);
    expect(result.terms.uniformity !== undefined).toBe(loss.uniformity > 0);
    expect([...result.gradients.keys()]).toEqual(['temp', 'image.weight', 'image.bias', 'image.projection', 'text.embedding']);
    for (const [name, gradient] of expected.gradients) {
      expect(tf.max(tf.abs(gradient)).dataSync()[0], name).toBeGreaterThan(1e-4);
      expect(Array.from(result.gradients.get(name)!.dataSync()), name).toEqual(Array.from(gradient.dataSync()));
    }
    tf.dispose([...expected.gradients.values(), ...result.gradients.values()]);
    encoder.dispose();
  });

  it('accumulates micro-batches to the whole batch’s loss and gradients', () => {
    const rng = new SeededRandom(9);
    const encoder = new TinyDualEncoder(rng);
    const batch = tinyBatch(7, rng);
    const whole = batchGradients(encoder, encoder.temperature, encoder.trainable, batch);
    for (const microBatchSize of [3, 1]) {
      const accumulated = batchGradients(encoder, encoder.temperature, encoder.trainable, batch, { microBatchSize });
      expect(accumulated.terms.total).toBeCloseTo(whole.terms.total, 5);
      expect(accumulated.terms.triplet).toBeCloseTo(whole.terms.triplet, 5);
      expect([...accumulated.gradients.keys()]).toEqual([...whole.gradients.keys()]);
      for (const [name, gradient] of whole.gradients) {
        expectAllClose(accumulated.gradients.get(name)!, gradient, { atol: 1e-6, rtol: 1e-4 }, `${name} (micro-batch ${microBatchSize})`);
      }
      tf.dispose([...accumulated.gradients.values()]);
    }
    tf.dispose([...whole.gradients.values()]);
    encoder.dispose();
  });

  it('differentiates only what it is given: temp alone, or the towers without temp', () => {
    const rng = new SeededRandom(10);
    const encoder = new TinyDualEncoder(rng);
    const batch = tinyBatch(4, rng);
    const all = batchGradients(encoder, encoder.temperature, encoder.trainable, batch);
    const tempOnly = batchGradients(encoder, encoder.temperature, [['temp', encoder.temperature]], batch);
    expect([...tempOnly.gradients.keys()]).toEqual(['temp']);
    expect(tempOnly.gradients.get('temp')!.dataSync()[0]).toBe(all.gradients.get('temp')!.dataSync()[0]);
    const towers = encoder.trainable.filter(([name]) => name !== 'temp');
    const before = tf.memory().numTensors;
    const withoutTemp = batchGradients(encoder, encoder.temperature, towers, batch, { microBatchSize: 2 });
    expect([...withoutTemp.gradients.keys()]).toEqual(towers.map(([name]) => name));
    // The trainable temp's gradient, computed but not asked for, is not left behind.
    expect(tf.memory().numTensors).toBe(before + towers.length);
    tf.dispose([...all.gradients.values(), ...tempOnly.gradients.values(), ...withoutTemp.gradients.values()]);
    encoder.dispose();
  });

  it('keeps the tensor count flat across steps', () => {
    const rng = new SeededRandom(11);
    const encoder = new TinyDualEncoder(rng);
    const batch = tinyBatch(5, rng);
    expectFlatTensorCount((microBatchSize) => tf.dispose([...batchGradients(encoder, encoder.temperature, encoder.trainable, batch, { microBatchSize }).gradients.values()]));
    encoder.dispose();
  });
});
