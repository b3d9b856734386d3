import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom, useBackend } from '@harma/core';
import { createClip } from '@harma/backbones';
import { attachHarma } from '@harma/adapters';
import { testTokenizer } from '../../test/golden-model';
import { exportOnnx } from './export-onnx';
import { verifyExport } from './verify-export';

let dir: string;
beforeAll(async () => {
  await useBackend('wasm');
  dir = await mkdtemp(path.join(os.tmpdir(), 'harma-export-fresh-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('exporting a model that has never run', () => {
  it('traces the same kernels at both batch sizes although frozen layers fill caches on their first call', async () => {
    const rng = new SeededRandom(12);
    const clip = createClip(
      {
        embedDim: 16,
        vision: { imageSize: 16, patchSize: 8, width: 16, layers: 1, heads: 2, mlpRatio: 2 },
        text: { contextLength: 8, vocabSize: 600, width: 16, layers: 1, heads: 2, mlpRatio: 2 },
        activation: 'gelu',
        layerNormEps: 1e-5,
      },
      { rng },
    );
    const attachment = attachHarma(clip, { vision: { bottleneck: 4, heads: 2 }, text: { bottleneck: 4, heads: 2 }, bishareHeads: 1, rng });
    attachment.freeze(); // frozen backbone weights: linear() caches their transposes lazily
    await exportOnnx(clip, dir, { quantize: false, tokenizer: testTokenizer(8) });
    const parity = await verifyExport(dir, clip);
    expect(parity.vision.maxAbsDifference).toBeLessThan(1e-4);
    expect(parity.text.maxAbsDifference).toBeLessThan(1e-4);
    attachment.detach();
    clip.dispose();
  });
});
