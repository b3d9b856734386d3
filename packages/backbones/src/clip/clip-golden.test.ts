import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSafetensors, useBackend } from '@harma/core';
import { PORTABLE_BACKENDS, expectAllClose } from '@harma/core/testing';
import { fixturePath } from '@harma/test-support';
import { createClip, type ClipModel } from './clip-model';
import { goldenAdapterNames, goldenClipConfig } from '../../test/golden-config';
import { loadClipStateDict } from './load-clip';

describe.each(PORTABLE_BACKENDS)('CLIP reproduces the plain.* golden outputs (%s)', (backend) => {
  describe.each(['tiny-gelu', 'tiny-quickgelu'] as const)('%s', (fixture) => {
    let model: ClipModel;
    let inputs: Map<string, tf.Tensor>;
    let outputs: Map<string, tf.Tensor>;

    beforeAll(async () => {
      await useBackend(backend);
      const weights = (await loadSafetensors(fixturePath('golden', fixture, 'weights.safetensors'))).tensors;
      model = createClip(goldenClipConfig(fixture));
      const { ignored } = loadClipStateDict(model, weights, { ignore: goldenAdapterNames(fixture) });
      expect(ignored.size).toBe(59);
      for (const tensor of weights.values()) tensor.dispose();
      inputs = (await loadSafetensors(fixturePath('golden', fixture, 'inputs.safetensors'))).tensors;
      outputs = (await loadSafetensors(fixturePath('golden', fixture, 'outputs.safetensors'))).tensors;
    });

    afterAll(() => {
      model.dispose();
      for (const tensor of [...inputs.values(), ...outputs.values()]) tensor.dispose();
    });

    it('image embeddings and every image block state', () => {
      const { features, hiddenStates } = model.forwardImage(inputs.get('images') as tf.Tensor, { hiddenStates: true });
      expect(hiddenStates).toHaveLength(2);
      expectAllClose(features, outputs.get('plain.image_emb') as tf.Tensor, { atol: 1e-4 }, 'plain.image_emb');
      hiddenStates.forEach((state, i) =>
        expectAllClose(state, outputs.get(`plain.image_tokens_block${i}`) as tf.Tensor, { atol: 1e-4 }, `plain.image_tokens_block${i}`),
      );
      tf.dispose([features, ...hiddenStates]);
    });

    it('text embeddings and every text block state', () => {
      const { features, hiddenStates } = model.forwardText(inputs.get('text') as tf.Tensor, { hiddenStates: true });
      expect(hiddenStates).toHaveLength(2);
      expectAllClose(features, outputs.get('plain.text_emb') as tf.Tensor, { atol: 1e-4 }, 'plain.text_emb');
      hiddenStates.forEach((state, i) =>
        expectAllClose(state, outputs.get(`plain.text_tokens_block${i}`) as tf.Tensor, { atol: 1e-4 }, `plain.text_tokens_block${i}`),
      );
      tf.dispose([features, ...hiddenStates]);
    });
  });
});
