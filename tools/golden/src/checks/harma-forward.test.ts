import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '@harma/core';
import { expectAllClose } from '@harma/core/testing';
import { fixturePath } from '@harma/test-support';
import { harmaForwardComputer } from './harma-forward';
import { readModelFixture } from './model-fixture';

const HARMA_OUTPUTS = /^(image_emb|text_emb|image_tokens_block\d+|text_tokens_block\d+)$/;

/** Compute the HarMA forward of a fixture and compare every adapted output with it (1e-4, the README's tolerance). */
async function expectFixtureMatches(name: string, weightFiles?: string[]): Promise<void> {
  const fixture = await readModelFixture(fixturePath('golden', name), weightFiles);
  const computed = await harmaForwardComputer.compute(fixture);
  const expectedNames = [...fixture.outputs.keys()].filter((output) => HARMA_OUTPUTS.test(output)).sort();
  expect([...computed.keys()].sort()).toEqual(expectedNames);
  for (const [output, expected] of fixture.outputs) {
    if (!HARMA_OUTPUTS.test(output)) continue;
    expectAllClose(computed.get(output) as tf.Tensor, expected, { atol: 1e-4 }, `${name} ${output}${weightFiles ? ` from ${weightFiles.join(',')}` : ''}`);
  }
  tf.dispose([...computed.values(), ...fixture.inputs.values(), ...fixture.outputs.values()]);
}

describe('HarMA forward against the golden model fixtures', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it.each(['tiny-gelu', 'tiny-quickgelu'])('reproduces every block state and both embeddings of %s', async (name) => {
    await expectFixtureMatches(name);
  });

  it.each(['weights.pt', 'harma_checkpoint.pth', 'weights.hf.safetensors,adapters.safetensors'])('loads the same weights from %s', async (files) => {
    await expectFixtureMatches('tiny-gelu', files.split(','));
  });
});
