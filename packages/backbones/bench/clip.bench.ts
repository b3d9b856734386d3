// CLIP ViT-B/32 speed on the active backend against the official PyTorch code's encoders, measured
// first in this run when @harma/bench-results' pytorchSide can (the official code's folder in
// HARMA_OFFICIAL_CODE, Debian's python3-torch; its model carries HarMA's adapters, a few per cent
// more arithmetic than this plain CLIP), else DESIGN.md's anchors (11 img/s, 10.6 captions/s at 77
// tokens, 2 threads), saying which; plus the time to read a PyTorch checkpoint. Weights are zeros:
// speed does not depend on their values. Results merge into the repository's bench/results.json.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, writeSafetensors } from '@harma/core';
import { benchResult, mergeResults, pytorchSide, repositoryResultsFile } from '@harma/bench-results';
import { createClip, loadModelConfig } from '../src/clip/index';
import { loadWeights } from '../src/weights/index';
import { REPOSITORY, timed } from './reference';

const BATCH = 8;

// PyTorch first, in its own process, so that it and our measurements never share the cores.
const pytorch = await pytorchSide({ parts: ['encode'], scriptArguments: ['--encode-batch', String(BATCH)], progress: (line) => process.stdout.write(`  pytorch: ${line}\n`) });
process.stdout.write(`${pytorch.note}\n`);
const { imagesPerSecond, captionsPerSecond } = pytorch;

const { backend } = await initBackend();
const model = createClip(loadModelConfig('ViT-B-32'));
const pixels = tf.randomNormal([BATCH, 3, 224, 224], 0, 1, 'float32', 1);
const row = [49406, ...Array.from({ length: 20 }, (_, i) => 320 + i), 49407, ...new Array<number>(77 - 22).fill(0)];
const ids = tf.tensor2d(Array.from({ length: BATCH }, () => row), [BATCH, 77], 'int32');

async function rate(work: () => tf.Tensor): Promise<number> {
  tf.dispose(work()); // warm-up: kernels compiled, buffers allocated
  const { seconds } = await timed(() => {
    for (let i = 0; i < 2; i++) {
      const out = work();
      out.dataSync();
      out.dispose();
    }
  });
  return (2 * BATCH) / seconds;
}

const images = await rate(() => model.encodeImage(pixels));
const captions = await rate(() => model.encodeText(ids));
process.stdout.write(`backend ${backend}, ViT-B/32, batch ${BATCH}\n`);
process.stdout.write(`encodeImage ${images.toFixed(2)} img/s  (PyTorch ${imagesPerSecond.value.toFixed(2)}, ${imagesPerSecond.source}: ratio ${(images / imagesPerSecond.value).toFixed(2)})\n`);
process.stdout.write(`encodeText  ${captions.toFixed(2)} captions/s  (PyTorch ${captionsPerSecond.value.toFixed(2)}, ${captionsPerSecond.source}: ratio ${(captions / captionsPerSecond.value).toFixed(2)})\n`);

// Reading weights: the committed PyTorch fixture and a ViT-B/32-sized safetensors file.
const fixture = path.join(REPOSITORY, 'fixtures', 'golden', 'tiny-gelu', 'weights.pt');
const small = await timed(() => loadWeights(fixture));
tf.dispose([...small.result.values()]);
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'harma-bench-'));
const file = path.join(dir, 'vit-b-32.safetensors');
await writeSafetensors(file, model.module.stateDict());
const large = await timed(() => loadWeights(file));
const megabytes = (await fs.stat(file)).size / 2 ** 20;
tf.dispose([...large.result.values()]);
await fs.rm(dir, { recursive: true, force: true });
process.stdout.write(`loadWeights tiny weights.pt ${(small.seconds * 1000).toFixed(0)} ms; ViT-B/32 safetensors ${megabytes.toFixed(0)} MiB in ${large.seconds.toFixed(2)} s (${(megabytes / large.seconds).toFixed(0)} MiB/s)\n`);
tf.dispose([pixels, ids]);
model.dispose();
const results = [
  benchResult(`backbones.clip.vit-b-32.${backend}.encode-image`, images, `img/s (batch ${BATCH}, plain CLIP)`, imagesPerSecond),
  benchResult(`backbones.clip.vit-b-32.${backend}.encode-text`, captions, `77-token captions/s (batch ${BATCH}, plain CLIP)`, captionsPerSecond),
  benchResult('backbones.load-weights.vit-b-32-safetensors', megabytes / large.seconds, 'MiB/s read', null),
];
const resultsFile = repositoryResultsFile();
await mergeResults(resultsFile, results);
process.stdout.write(`wrote ${results.length} results to ${resultsFile}\n`);
