import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '@harma/core';
import { expectAllClose, PORTABLE_RUNTIMES } from '@harma/core/testing';
import { fixturePath } from '@harma/test-support';
import { toleranceFor } from '../compare';
import { harmaGradientsComputer } from './harma-gradients';
import { readModelFixture } from './model-fixture';
import { MODEL_FIXTURES } from './model-fixtures';

describe.each(PORTABLE_RUNTIMES)('HarMA losses and gradients against the golden model fixtures on $label', ({ backend, products }) => {
  beforeAll(async () => {
    await useBackend(backend, { products });
  });

  it.each(MODEL_FIXTURES)('reproduces the losses and d loss_total / d every trainable parameter of $name', async ({ name }) => {
    const fixture = await readModelFixture(fixturePath('golden', name));
    const computed = await harmaGradientsComputer.compute(fixture);
    // The gradients cover exactly the parameters the reference trains.
    const trainable = (fixture.config.trainable as string[]).map((parameter) => `grad.${parameter}`).sort();
    expect([...computed.keys()].filter((output) => output.startsWith('grad.')).sort()).toEqual(trainable);
    for (const [output, expected] of fixture.outputs) {
      if (!output.startsWith('grad.') && !output.startsWith('loss_')) continue;
      const actual = computed.get(output);
      expect(actual, output).toBeDefined();
      expectAllClose(actual as tf.Tensor, expected, toleranceFor(output), `${name} ${output}`);
    }
    tf.dispose([...computed.values(), ...fixture.inputs.values(), ...fixture.outputs.values()]);
  });
});
