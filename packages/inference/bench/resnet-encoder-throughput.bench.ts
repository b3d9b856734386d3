/**
 * Encoder throughput of CLIP RN50 with HarMA (npm run bench:resnet in packages/inference): random
 * weights (open_clip's initialisation, the adapters' up-projections non-zero so that they count),
 * batch 32, 2 threads — images/s and 77-token captions/s on ONNX Runtime (fp32 and int8: the
 * exported graphs, BatchNorm folded) and on tfjs-wasm (convolutions and products on ONNX Runtime),
 * the same figures the ViT-B/32 bench (encoder-throughput.bench.ts) measures. DESIGN.md has no
 * PyTorch anchor for RN50: the figures are absolute. Merged into the repository's bench/results.json
 * as `inference.rn50.*`. Environment: HARMA_BENCH_REPEATS (timed batches per figure, default 3),
 * HARMA_BENCH_TFJS=0 to skip the tfjs-wasm figures, HARMA_BENCH_THREADS (default 2).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom, useBackend } from '@harma/core';
import { attachHarma } from '@harma/adapters';
import { ClipTokenizer, buildBpeVocabulary, createClipResNet, loadResNetModelConfig } from '@harma/backbones';
import { benchResult, mergeResults, repositoryResultsFile, type BenchResult } from '@harma/bench-results';
import { createTfjsEncoder, exportOnnx, loadExportedModel, sampleTokenIds, verifyExport, type Encoder } from './bench-api';
import { fastestRate } from './fastest-rate';

const BATCH = 32;
const REPEATS = Number(process.env.HARMA_BENCH_REPEATS ?? 3);
const THREADS = Number(process.env.HARMA_BENCH_THREADS ?? 2);
const log = (message: string): void => void process.stdout.write(`${message}\n`);

async function throughput(label: string, encoder: Encoder, pixels: Float32Array, ids: Int32Array, repeats = REPEATS): Promise<BenchResult[]> {
  const images = await fastestRate(() => encoder.encodeImages(pixels, BATCH), BATCH, repeats);
  const captions = await fastestRate(() => encoder.encodeTexts(ids, BATCH), BATCH, repeats);
  log(`${label.padEnd(10)} ${images.toFixed(2).padStart(7)} img/s  ${captions.toFixed(2).padStart(7)} captions/s`);
  return [benchResult(`inference.rn50.${label}.images`, images, 'img/s (RN50 + HarMA, batch 32)'), benchResult(`inference.rn50.${label}.captions`, captions, 'captions/s (RN50 + HarMA, batch 32)')];
}

await useBackend('wasm');
log(`load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} on ${os.availableParallelism()} cores; ORT threads ${THREADS}`);
const config = loadResNetModelConfig('RN50-quickgelu');
const model = createClipResNet(config, { rng: new SeededRandom('bench-rn50') });
attachHarma(model, { rng: new SeededRandom('bench-harma') });
const rng = new SeededRandom('bench-up-projections');
for (const [name, parameter] of model.module.namedParameters()) {
  if (/\.(img_proj_up|l2)\.weight$/.test(name)) tf.tidy(() => parameter.assign(tf.mul(tf.randomNormal(parameter.shape, 0, 1, 'float32', rng.int(1 << 30)), 0.02)));
}
const results: BenchResult[] = [];
const dir = await mkdtemp(path.join(os.tmpdir(), 'harma-bench-rn50-'));
try {
  let start = performance.now();
  const exported = await exportOnnx(model, dir, { tokenizer: new ClipTokenizer(buildBpeVocabulary([])) });
  log(`export: ${((performance.now() - start) / 1000).toFixed(1)} s; vision ${exported.vision.nodes} nodes, ${(exported.vision.bytes / 2 ** 20).toFixed(0)} MiB; text ${exported.text.nodes} nodes`);
  start = performance.now();
  const parity = await verifyExport(dir, model, { batch: 3 });
  log(`parity (batch 3): fp32 max |ORT − tfjs| vision ${parity.vision.maxAbsDifference.toExponential(2)}, text ${parity.text.maxAbsDifference.toExponential(2)} (${((performance.now() - start) / 1000).toFixed(0)} s)`);
  results.push(benchResult('inference.rn50.parity.fp32.vision-max-abs', parity.vision.maxAbsDifference, 'max |ORT − tfjs|', 1e-4));
  const inputs = new SeededRandom('bench-inputs');
  const pixels = Float32Array.from({ length: BATCH * 3 * config.vision.imageSize * config.vision.imageSize }, () => inputs.normal());
  const ids = sampleTokenIds(BATCH, 77, 49408, inputs);
  for (const precision of ['fp32', 'int8'] as const) {
    const opened = await loadExportedModel(dir, { precision, threads: THREADS, batchSize: BATCH, warmUp: false });
    results.push(...(await throughput(`ort-${precision}`, opened.encoder, pixels, ids)));
    await opened.dispose();
  }
  if (process.env.HARMA_BENCH_TFJS !== '0') results.push(...(await throughput('tfjs-wasm', createTfjsEncoder(model, { batchSize: BATCH }), pixels, ids, 1)));
} finally {
  model.dispose();
  await rm(dir, { recursive: true, force: true });
}
log(`load average after ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
await mergeResults(repositoryResultsFile(), results);
log(`wrote ${results.length} figures to ${repositoryResultsFile()}`);
