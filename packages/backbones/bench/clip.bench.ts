// CLIP ViT-B/32 speed on the active backend against DESIGN.md's anchors (official PyTorch 1.13 on
// this machine kind, 2 threads: encode_image 11 img/s, encode_text 10.6 seq/s at 77 tokens), plus
// the time to read a PyTorch checkpoint. Weights are zeros: speed does not depend on their values.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, writeSafetensors } from '@harma/core';
import { createClip, loadModelConfig } from '../src/clip/index';
import { loadWeights } from '../src/weights/index';
import { REPOSITORY, timed } from './reference';

const PYTORCH_IMAGES_PER_SECOND = 11;
const PYTORCH_CAPTIONS_PER_SECOND = 10.6;
const BATCH = 8;

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
process.stdout.write(`encodeImage ${images.toFixed(2)} img/s  (PyTorch anchor ${PYTORCH_IMAGES_PER_SECOND}: ratio ${(images / PYTORCH_IMAGES_PER_SECOND).toFixed(2)})\n`);
process.stdout.write(`encodeText  ${captions.toFixed(2)} seq/s  (PyTorch anchor ${PYTORCH_CAPTIONS_PER_SECOND}: ratio ${(captions / PYTORCH_CAPTIONS_PER_SECOND).toFixed(2)})\n`);

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
