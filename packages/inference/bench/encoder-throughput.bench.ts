/**
 * Encoder throughput (npm run bench in packages/inference): CLIP ViT-B/32 with HarMA adapters on
 * every block (random weights, non-zero up-projections so the adapters matter), batch 32, 2
 * threads: images/s and 77-token captions/s on ONNX Runtime (fp32 and int8) and on tfjs-wasm,
 * beside the official PyTorch code's encode_image and encode_text on the CPU: measured first in
 * this run when @harma/bench-results' pytorchSide can (the official code's folder in an
 * environment variable, Debian's python3-torch), else DESIGN.md's anchor (11 img/s, 10.6
 * captions/s). Also: ORT–tfjs parity on this model, and a plain 1600×768×3072 matmul in ORT as a
 * yardstick of how busy the machine is (PyTorch's in the same run, or DESIGN.md's 170–200 GFLOP/s
 * on 2 idle threads), before and after. Each figure is the fastest of its timed batches. Figures
 * are merged into the repository's bench/results.json, with the PyTorch figure each is compared
 * with and its source.
 * Environment: HARMA_BENCH_REPEATS (timed batches per figure, default 3), HARMA_BENCH_TFJS=0 to
 * skip the slow tfjs-wasm figures, HARMA_BENCH_THREADS (default 2).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom, useBackend } from '@harma/core';
import { attachHarma } from '@harma/adapters';
import { ClipTokenizer, buildBpeVocabulary, createClip, loadModelConfig, type ClipModel } from '@harma/backbones';
import {
  OnnxGraphBuilder,
  loadExportedModel,
  createOrtRunner,
  createTfjsEncoder,
  encodeOnnxModel,
  exportOnnx,
  sampleTokenIds,
  valueInfo,
  verifyExport,
  type Encoder,
} from './bench-api';
import { fastestRate } from './fastest-rate';
import { benchResult, mergeResults, pytorchSide, repositoryResultsFile, type BenchResult, type PytorchSide } from '@harma/bench-results';

const BATCH = 32;
const REPEATS = Number(process.env.HARMA_BENCH_REPEATS ?? 3);
const THREADS = Number(process.env.HARMA_BENCH_THREADS ?? 2);
const RESULTS_FILE = repositoryResultsFile();

function log(message: string): void {
  process.stdout.write(`${message}\n`);
}

function adaptedVitB32(): ClipModel {
  const model = createClip(loadModelConfig('ViT-B-32'), { rng: new SeededRandom('bench-vit-b-32') });
  attachHarma(model, { rng: new SeededRandom('bench-harma') });
  // Fresh adapters start with zero up-projections (the identity); random ones make them count.
  const rng = new SeededRandom('bench-up-projections');
  for (const [name, parameter] of model.module.namedParameters()) {
    if (/\.(img_proj_up|l2)\.weight$/.test(name)) tf.tidy(() => parameter.assign(tf.mul(tf.randomNormal(parameter.shape, 0, 1, 'float32', rng.int(1 << 30)), 0.02)));
  }
  return model;
}

async function throughput(label: string, encoder: Encoder, pixels: Float32Array, ids: Int32Array, pytorch: PytorchSide, repeats = REPEATS): Promise<BenchResult[]> {
  const images = await fastestRate(() => encoder.encodeImages(pixels, BATCH), BATCH, repeats);
  const captions = await fastestRate(() => encoder.encodeTexts(ids, BATCH), BATCH, repeats);
  log(
    `${label.padEnd(10)} ${images.toFixed(2).padStart(7)} img/s (${(images / pytorch.imagesPerSecond.value).toFixed(2)}× PyTorch)  ` +
      `${captions.toFixed(2).padStart(7)} captions/s (${(captions / pytorch.captionsPerSecond.value).toFixed(2)}× PyTorch)`,
  );
  return [
    benchResult(`inference.${label}.images`, images, 'img/s', pytorch.imagesPerSecond),
    benchResult(`inference.${label}.captions`, captions, 'captions/s', pytorch.captionsPerSecond),
  ];
}

/** GFLOP/s of a plain [1600, 768] × [768, 3072] float matmul in ONNX Runtime. */
async function matmulYardstick(): Promise<number> {
  const builder = new OnnxGraphBuilder('x');
  builder.reserve('x');
  const weight = builder.initializer('w', 'float32', [768, 3072], Float32Array.from({ length: 768 * 3072 }, (_, i) => Math.sin(i)));
  builder.node('MatMul', ['x', weight], { names: ['y'] });
  const model = encodeOnnxModel({
    irVersion: 9,
    opsetImport: [{ domain: '', version: 20 }],
    producerName: 'bench',
    producerVersion: '0',
    graph: { name: 'matmul', node: builder.nodes, initializer: [...builder.initializers.values()], input: [valueInfo('x', 'float32', [{ batch: 1 }, 768])], output: [valueInfo('y', 'float32', [{ batch: 1 }, 3072])] },
  });
  const runner = await createOrtRunner(model, { threads: THREADS });
  const x = Float32Array.from({ length: 1600 * 768 }, (_, i) => Math.cos(i));
  const runs = await fastestRate(() => runner.run(x, [1600, 768]), 1, 10);
  await runner.release();
  return (runs * 2 * 1600 * 768 * 3072) / 1e9;
}

async function main(): Promise<void> {
  // PyTorch first, in its own process, so that it and our measurements never share the cores.
  const pytorch = await pytorchSide({ parts: ['encode', 'matmul'], progress: (line) => log(`  pytorch: ${line}`) });
  log(pytorch.note);
  const { imagesPerSecond, captionsPerSecond, matmulGflops } = pytorch;
  log(
    `PyTorch (encode_image, encode_text, batch 32): ${imagesPerSecond.value.toFixed(2)} img/s, ${captionsPerSecond.value.toFixed(2)} captions/s (${imagesPerSecond.source}); ` +
      `matmul ${matmulGflops.value.toFixed(0)} GFLOP/s (${matmulGflops.source})`,
  );
  await useBackend('wasm');
  log(`load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} on ${os.availableParallelism()} cores; ORT threads ${THREADS}`);
  const results: BenchResult[] = [];
  const gflops = await matmulYardstick();
  log(`yardstick: ORT matmul ${gflops.toFixed(0)} GFLOP/s (PyTorch: ${matmulGflops.value.toFixed(0)}, ${matmulGflops.source}; idle machine: 170–200)`);
  results.push(benchResult('inference.yardstick.ort-matmul', gflops, 'GFLOP/s', matmulGflops));

  const model = adaptedVitB32();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'harma-bench-export-'));
  try {
    let start = performance.now();
    // Throughput does not depend on the vocabulary: the byte-level one (514 ids) stands in for CLIP's.
    const exported = await exportOnnx(model, dir, { tokenizer: new ClipTokenizer(buildBpeVocabulary([])) });
    log(
      `export: ${((performance.now() - start) / 1000).toFixed(1)} s; vision ${exported.vision.nodes} nodes, ${(exported.vision.bytes / 2 ** 20).toFixed(0)} MiB ` +
        `(int8 ${((exported.vision.quantizedBytes ?? 0) / 2 ** 20).toFixed(0)} MiB); text ${exported.text.nodes} nodes, ${(exported.text.bytes / 2 ** 20).toFixed(0)} MiB`,
    );
    start = performance.now();
    const fp32Parity = await verifyExport(dir, model, { batch: 3 });
    const int8Parity = await verifyExport(dir, model, { batch: 3, precision: 'int8' });
    log(
      `parity (batch 3): fp32 max |ORT − tfjs| vision ${fp32Parity.vision.maxAbsDifference.toExponential(2)}, text ${fp32Parity.text.maxAbsDifference.toExponential(2)}; ` +
        `int8 min cosine to tfjs vision ${int8Parity.vision.minCosine.toFixed(5)}, text ${int8Parity.text.minCosine.toFixed(5)} (${((performance.now() - start) / 1000).toFixed(0)} s)`,
    );
    results.push(
      benchResult('inference.parity.fp32.vision-max-abs', fp32Parity.vision.maxAbsDifference, 'max |ORT − tfjs|', 1e-4),
      benchResult('inference.parity.fp32.text-max-abs', fp32Parity.text.maxAbsDifference, 'max |ORT − tfjs|', 1e-4),
      benchResult('inference.parity.int8.vision-min-cosine', int8Parity.vision.minCosine, 'cosine to fp32 tfjs', 0.99),
      benchResult('inference.parity.int8.text-min-cosine', int8Parity.text.minCosine, 'cosine to fp32 tfjs', 0.99),
    );

    const rng = new SeededRandom('bench-inputs');
    const pixels = Float32Array.from({ length: BATCH * 3 * 224 * 224 }, () => rng.normal());
    // Realistic caption lengths (RSITMD captions are 10–30 tokens), zero padded to 77.
    const ids = sampleTokenIds(BATCH, 77, 49408, rng);
    for (const precision of ['fp32', 'int8'] as const) {
      // Opened as every reader of exports opens them (warm-up is part of the throughput runs).
      const exported = await loadExportedModel(dir, { precision, threads: THREADS, batchSize: BATCH, warmUp: false });
      results.push(...(await throughput(`ort-${precision}`, exported.encoder, pixels, ids, pytorch)));
      await exported.dispose();
    }
    if (process.env.HARMA_BENCH_TFJS !== '0') {
      results.push(...(await throughput('tfjs-wasm', createTfjsEncoder(model, { batchSize: BATCH }), pixels, ids, pytorch, 1)));
    }
  } finally {
    model.dispose();
    await rm(dir, { recursive: true, force: true });
  }
  const after = await matmulYardstick();
  log(`yardstick after: ORT matmul ${after.toFixed(0)} GFLOP/s; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  results.push(benchResult('inference.yardstick.ort-matmul-after', after, 'GFLOP/s', matmulGflops));
  await mergeResults(RESULTS_FILE, results);
  log(`wrote ${results.length} figures to ${RESULTS_FILE}`);
}

await main();
