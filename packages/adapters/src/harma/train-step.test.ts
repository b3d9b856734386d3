import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend, valueAndGradients, type Parameter } from '@harma/core';
import { ToyDualEncoder, toyBatch } from '../../test/toy-dual-encoder';
import { attachHarma } from './attach-harma';
import { freezeForHarma } from './freeze';

/** A symmetric InfoNCE with the attachment's temperature (the losses package is not a dependency of this one). */
function infoNce(backbone: ToyDualEncoder, batch: { pixels: tf.Tensor; ids: tf.Tensor }, temperature: Parameter): tf.Scalar {
  return tf.tidy(() => {
    const image = backbone.encodeImage(batch.pixels);
    const text = backbone.encodeText(batch.ids);
    const logits = tf.div(tf.matMul(image, text, false, true), temperature.value);
    const n = logits.shape[0] as number;
    const targets = tf.oneHot(tf.range(0, n, 1, 'int32'), n);
    const i2t = tf.losses.softmaxCrossEntropy(targets, logits);
    const t2i = tf.losses.softmaxCrossEntropy(targets, tf.transpose(logits));
    return tf.div(tf.add(i2t, t2i), 2) as tf.Scalar;
  });
}

const maxAbs = (t: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(t)).dataSync()[0] as number);

describe('HarMA on a third-party backbone trains', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('freezes all but adapters, gates and temp, and one step moves only those', () => {
    const backbone = new ToyDualEncoder();
    const attachment = attachHarma(backbone, { vision: { bottleneck: 8, heads: 2 }, text: { bottleneck: 8, heads: 2 }, bishareHeads: 2 });
    const counts = freezeForHarma(backbone);
    const adapterNames = attachment.namedParameters().map(([name]) => name);
    const trainable = backbone.module.trainableParameters().map(([name]) => name);
    expect(trainable).toEqual(adapterNames);
    expect(counts.trainable).toBe(attachment.countParameters().added);

    const batch = toyBatch(4);
    const all = backbone.module.namedParameters();
    const first = valueAndGradients(() => infoNce(backbone, batch, attachment.temperature), all);
    expect([...first.gradients.keys()]).toEqual(trainable);
    // With zero up-projections only they and temp see the loss; everything behind them gets exactly zero.
    for (const [name, gradient] of first.gradients) {
      const reachable = name === 'temp' || name.includes('img_proj_up');
      if (reachable) expect(maxAbs(gradient), name).toBeGreaterThan(0);
      else expect(maxAbs(gradient), name).toBe(0);
    }

    const frozen = all.filter(([, p]) => !p.trainable).map(([name, p]) => [name, tf.clone(p.value)] as const);
    const lr = 0.05;
    for (const [name, gradient] of first.gradients) {
      const parameter = backbone.module.parameter(name);
      parameter.assign(tf.tidy(() => tf.sub(parameter.value, tf.mul(lr, gradient))));
    }
    const second = valueAndGradients(() => infoNce(backbone, batch, attachment.temperature), all);
    expect(second.value.dataSync()[0]).toBeLessThan(first.value.dataSync()[0] as number);
    for (const [name, before] of frozen) expect(maxAbs(tf.sub(backbone.module.parameter(name).value, before)), name).toBe(0);
    // After the step the adapters' inner layers are in the gradient path; BiShare's l1 still sits behind the zero l2.
    expect(maxAbs(second.gradients.get('text_encoder.layers.1.mmadapter.BiShareAdapterxx.l1.weight') as tf.Tensor)).toBe(0);
    for (const name of ['image_encoder.layers.0.mmadapter.img_proj_down.weight', 'text_encoder.layers.1.mmadapter.BiShareAdapterxx.l2.weight', 'text_encoder.layers.0.gate1']) {
      expect(maxAbs(second.gradients.get(name) as tf.Tensor), name).toBeGreaterThan(0);
    }

    // The gradient of a gate agrees with a central finite difference.
    const gate = backbone.module.parameter('text_encoder.layers.0.mmadapter.gate1');
    const analytic = (second.gradients.get('text_encoder.layers.0.mmadapter.gate1') as tf.Tensor).dataSync()[0] as number;
    const at = gate.value.dataSync()[0] as number;
    const lossAt = (value: number): number => {
      gate.assign(tf.scalar(value));
      return tf.tidy(() => infoNce(backbone, batch, attachment.temperature).dataSync()[0] as number);
    };
    const step = 1e-2;
    const numeric = (lossAt(at + step) - lossAt(at - step)) / (2 * step);
    expect(Math.abs(analytic - numeric)).toBeLessThan(2e-2 * Math.abs(numeric) + 1e-4);
    backbone.dispose();
  });
});
