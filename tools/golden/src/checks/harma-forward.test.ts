import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '@harma/core';
import { expectAllClose, PORTABLE_RUNTIMES } from '@harma/core/testing';
import { fixturePath } from '@harma/test-support';
import { harmaForwardComputer } from './harma-forward';
import { readModelFixture } from './model-fixture';
import { MODEL_FIXTURES } from './model-fixtures';

/** The adapted model's outputs: embeddings, a ViT's block states or a ResNet's stage outputs, the text blocks. */
const HARMA_OUTPUTS = /^(image_emb|text_emb|image_tokens_block\d+|image_stage\d+|text_tokens_block\d+)$/;

/** Compute the HarMA forward of a fixture and compare every adapted output with it (1e-4, the README's tolerance). */
async function expectFixtureMatches(name: string, weightFiles?: string[]): Promise<void> {
  const fixture = await readModelFixture(fixturePath('golden', name), weightFiles);
  const computed = await harmaForwardComputer.compute(fixture);
  const expectedNames = [...fixture.outputs.keys()].filter((output) => HARMA_OUTPUTS.test(output)).sort();
  expect(expectedNames.length, `${name}: adapted outputs in the fixture`).toBeGreaterThan(0);
  expect([...computed.keys()].sort()).toEqual(expectedNames);
  for (const [output, expected] of fixture.outputs) {
    if (!HARMA_OUTPUTS.test(output)) continue;
    expectAllClose(computed.get(output) as tf.Tensor, expected, { atol: 1e-4 }, `${name} ${output}${weightFiles ? ` from ${weightFiles.join(',')}` : ''}`);
  }
  tf.dispose([...computed.values(), ...fixture.inputs.values(), ...fixture.outputs.values()]);
}

describe.each(PORTABLE_RUNTIMES)('HarMA forward against the golden model fixtures on $label', ({ backend, products }) => {
  beforeAll(async () => {
    await useBackend(backend, { products });
  });

  it.each(MODEL_FIXTURES)('reproduces every intermediate state and both embeddings of $name', async ({ name }) => {
    await expectFixtureMatches(name);
  });
});

// The weight formats are parsed in JavaScript before any tensor work: one runtime checks the loaders.
describe('HarMA forward from other weight files, on cpu', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it.each(['weights.pt', 'harma_checkpoint.pth', 'weights.hf.safetensors,adapters.safetensors'])('loads the same weights from %s', async (files) => {
    await expectFixtureMatches('tiny-gelu', files.split(','));
  });
});
