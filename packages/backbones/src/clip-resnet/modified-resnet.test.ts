import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom, useBackend, valueAndGradients } from '@harma/core';
import { PORTABLE_RUNTIMES } from '@harma/core/testing';
import { createClipResNet, type ClipResNetModel } from './clip-resnet-model';
import type { ClipResNetConfig } from './config';
import { tinyResNetConfig } from '@harma/test-support';

const small: ClipResNetConfig = tinyResNetConfig({ vision: { imageSize: 64, layers: [1, 2, 1, 1] }, text: { vocabSize: 40 }, activation: 'gelu' });

/** A model whose BatchNorm affine parameters and running statistics are not the identity. */
function randomModel(): ClipResNetModel {
  const model = createClipResNet(small, { rng: new SeededRandom('stream') });
  const rng = new SeededRandom('stream-bn');
  tf.tidy(() => {
    for (const [name, parameter] of model.module.namedParameters()) {
      if (/\.bn\d\.(weight|bias)$|downsample\.1\.(weight|bias)$/.test(name)) parameter.assign(tf.tensor(rng.fillUniform(parameter.size, 0.5, 1.5), parameter.shape));
    }
    for (const [name, buffer] of model.module.namedBuffers()) {
      if (name.endsWith('running_mean')) buffer.assign(tf.tensor(rng.fillNormal(buffer.size, 0, 0.1), buffer.shape));
    }
  });
  return model;
}

function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

describe.each(PORTABLE_RUNTIMES)('ModifiedResNet streaming a batch in chunks on $label', ({ backend, products }) => {
  beforeAll(async () => {
    await useBackend(backend, { products });
  });

  it('gives exactly the numbers of one pass, in training mode (features, every running statistic) and in evaluation mode', () => {
    const pixels = tf.randomNormal([7, 3, 64, 64], 0, 1, 'float32', 3);
    const whole = randomModel();
    const streamed = randomModel();
    expect(whole.module.visual.chunkRows).toBeGreaterThanOrEqual(7);
    streamed.module.visual.chunkRows = 3;
    for (const training of [true, false]) {
      whole.setTraining(training);
      streamed.setTraining(training);
      const one = whole.forwardImage(pixels, { stages: true });
      const chunked = streamed.forwardImage(pixels, { stages: true });
      expect(values(chunked.features), `features, training ${training}`).toEqual(values(one.features));
      chunked.stages.forEach((stage, i) => expect(values(stage), `stage ${i}, training ${training}`).toEqual(values(one.stages[i] as tf.Tensor)));
      tf.dispose([one.features, ...one.stages, chunked.features, ...chunked.stages]);
    }
    const buffers = new Map(whole.module.namedBuffers());
    for (const [name, buffer] of streamed.module.namedBuffers()) expect(values(buffer.value), name).toEqual(values((buffers.get(name) as typeof buffer).value));
    expect(values(streamed.module.buffer('visual.layer2.1.bn2.num_batches_tracked').value)).toEqual([1]);
    const before = tf.memory().numTensors;
    streamed.setTraining(true);
    tf.dispose(streamed.encodeImage(pixels));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(pixels);
    whole.dispose();
    streamed.dispose();
  });

  it('trains the whole image tower (convolutions, BatchNorm with batch statistics): the same gradients streamed or not, and steps lower the loss', () => {
    const pixels = tf.randomNormal([4, 3, 64, 64], 0, 1, 'float32', 4);
    const target = tf.randomNormal([4, 12], 0, 1, 'float32', 5);
    const model = randomModel();
    model.setTraining(true);
    const visual = model.module.visual;
    const trained = visual.namedParameters({ prefix: 'visual' });
    const loss = (): tf.Scalar => tf.mean(tf.square(tf.sub(model.encodeImage(pixels, { normalize: false }), target))) as tf.Scalar;
    const gradientsAt = (chunkRows: number): { value: number; gradients: Map<string, tf.Tensor> } => {
      visual.chunkRows = chunkRows;
      const { value, gradients } = valueAndGradients(loss, trained);
      const scalar = value.dataSync()[0] as number;
      value.dispose();
      return { value: scalar, gradients };
    };
    const onePass = gradientsAt(64);
    const streamed = gradientsAt(2);
    for (const [name] of trained) {
      const a = values(onePass.gradients.get(name) as tf.Tensor);
      const b = values(streamed.gradients.get(name) as tf.Tensor);
      const scale = Math.max(...a.map(Math.abs));
      expect(Number.isFinite(scale), name).toBe(true);
      // A residual branch's last BatchNorm starts at zero, so what lies before it in the branch gets no gradient yet; everything else does.
      if (/^visual\.(conv\d|bn\d|layer\d\.\d+\.(conv3|bn3|downsample)|attnpool)/.test(name)) expect(scale, name).toBeGreaterThan(0);
      expect(Math.max(...a.map((v, i) => Math.abs(v - (b[i] as number)))), name).toBeLessThanOrEqual(1e-6 + 1e-4 * scale);
    }
    tf.dispose([...onePass.gradients.values(), ...streamed.gradients.values()]);
    let last = onePass.value;
    for (let step = 0; step < 3; step++) {
      const { value, gradients } = gradientsAt(2);
      if (step > 0) expect(value, `loss after ${step} steps`).toBeLessThan(last);
      last = value;
      tf.tidy(() => {
        for (const [name, parameter] of trained) parameter.assign(tf.sub(parameter.value, tf.mul(gradients.get(name) as tf.Tensor, 1e-4)));
      });
      tf.dispose([...gradients.values()]);
    }
    tf.dispose([pixels, target]);
    model.dispose();
  });
});
