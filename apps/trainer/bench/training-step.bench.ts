// A full HarMA training step on CLIP ViT-B/32 (random weights, 77-token captions) on the default
// backend, at batch 8 and 32, against the official PyTorch code: measured first in this run when
// @harma/bench-results' pytorchSide can (the official code's folder in an environment variable,
// Debian's python3-torch), else DESIGN.md's anchor (PyTorch 1.13 on this machine kind with 2
// threads, one step at batch 32 in about 12.4 s, peak RSS 4.1 GiB). Each measurement runs in its
// own process (its peak RSS is its own), with the default number of threads; batch 8 also on one
// thread, profiled per kernel, and batch 32 once more with the wasm backend's own XNNPACK products
// as the baseline of ONNX Runtime's. Results merge into the repository's bench/results.json, each
// with the PyTorch figure it is compared with and that figure's source.
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@harma/core';
import { loadModelConfig } from '@harma/backbones';
import { defaultTrainingThreads } from '../src/parallel/training-threads';
import { stepFlops } from './flops';
import { runMeasurement } from './run-measurement';
import type { MeasureOptions } from './measure-step';
import { benchResult, mergeResults, pytorchSide, pytorchStep, repositoryResultsFile, type BenchResult } from '@harma/bench-results';

const GIB = 2 ** 30;

const RESULTS_FILE = repositoryResultsFile();
const log = (line: string): void => void process.stdout.write(`${line}\n`);
const loadAverage = (): string => os.loadavg().map((l) => l.toFixed(2)).join(' ');

/** GFLOP/s of a plain [1600, 768] × [768, 3072] matMul on this thread (the active product engine): how busy the machine is. */
function matmulYardstick(): number {
  const a = tf.randomNormal([1600, 768]);
  const b = tf.randomNormal([768, 3072]);
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 6; i++) {
    const started = performance.now();
    tf.dispose(tf.matMul(a, b));
    best = Math.min(best, (performance.now() - started) / 1000);
  }
  tf.dispose([a, b]);
  return (2 * 1600 * 768 * 3072) / best / 1e9;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

// PyTorch first, in its own process, so that it and our measurements never share the cores.
const pytorch = await pytorchSide({ parts: ['step', 'matmul'], progress: (line) => log(`  pytorch: ${line}`) });
log(pytorch.note);
const { backend, products } = await initBackend();
const engine = products?.engine ?? backend;
const threads = defaultTrainingThreads();
const flops = stepFlops(loadModelConfig('ViT-B-32-quickgelu'), { bottleneck: 128, bishare: 'text' });
log(`backend ${backend}${products ? `, matrix products on ${products.engine}` : ''}, ${threads} threads per step (the default here), ${os.availableParallelism()} cores, load average ${loadAverage()}`);
const yardstick = matmulYardstick();
log(`yardstick: a plain 1600×768×3072 matMul on one thread (${engine}) runs at ${yardstick.toFixed(1)} GFLOP/s (PyTorch on 2 threads: ${pytorch.matmulGflops.value.toFixed(1)}, ${pytorch.matmulGflops.source})`);
log(`model: ViT-B/32 (QuickGELU) + HarMA (bottleneck 128, BiShare in the text tower), random weights, 77-token captions`);
log(`FLOPs: image forward ${(flops.imageForward / 1e9).toFixed(2)} G, caption forward ${(flops.captionForward / 1e9).toFixed(2)} G (DESIGN: 9.2, 6.6); forward + backward ${(flops.pairStep / 1e9).toFixed(1)} G per pair`);
for (const batch of [8, 32]) {
  const { seconds, timedSeconds, peakRssGib } = pytorchStep(pytorch, batch);
  const spread = timedSeconds.length > 1 ? `; ${Math.min(...timedSeconds).toFixed(2)}–${Math.max(...timedSeconds).toFixed(2)}` : '';
  log(`PyTorch step at batch ${batch}: ${seconds.value.toFixed(2)} s (${seconds.source}${spread})${peakRssGib ? `, peak RSS ${peakRssGib.value.toFixed(2)} GiB` : ''}`);
}

const plan: Array<MeasureOptions & { label: string }> = [
  { label: `batch-8`, threads, batch: 8, steps: 3 },
  { label: `batch-32`, threads, batch: 32, steps: 2 },
  { label: `batch-8.one-thread`, threads: 1, batch: 8, steps: 2, profile: true, savedForBackward: true },
  ...(products?.engine === 'onnxruntime'
    ? [
        { label: `batch-32.xnnpack`, threads, batch: 32, steps: 1, products: 'xnnpack' as const },
        { label: `batch-32.background-sweeping`, threads, batch: 32, steps: 2, arrayBufferSweeping: 'background' as const },
      ]
    : []),
];
const results: BenchResult[] = [benchResult(`trainer.yardstick.${engine}-matmul-one-thread`, yardstick, 'GFLOP/s (PyTorch: 2 threads)', pytorch.matmulGflops)];
const seconds = new Map<string, number>();
log('');
log('batch  threads  products                  step s (median; min–max)  PyTorch s  ratio   GFLOP/s (÷ PyTorch)  peak RSS GiB (÷ PyTorch)   warm-up s');
for (const run of plan) {
  const measured = runMeasurement(run);
  const step = median(measured.seconds);
  seconds.set(run.label, step);
  const anchor = pytorchStep(pytorch, run.batch);
  const anchorGflops = { value: (run.batch * flops.pairStep) / anchor.seconds.value / 1e9, source: anchor.seconds.source };
  const gflops = (run.batch * flops.pairStep) / step / 1e9;
  const rss = measured.peakRss / GIB;
  log(
    `${String(run.batch).padStart(5)}  ${String(run.threads).padStart(7)}  ${`${run.products ?? engine}${run.arrayBufferSweeping === 'background' ? ', V8 default GC' : ''}`.padEnd(24)}  ${step.toFixed(2).padStart(7)} (${Math.min(...measured.seconds).toFixed(2)}–${Math.max(...measured.seconds).toFixed(2)})` +
      `${anchor.seconds.value.toFixed(2).padStart(16)}  ${(step / anchor.seconds.value).toFixed(2).padStart(5)}  ${gflops.toFixed(1).padStart(8)}  ${(gflops / anchorGflops.value).toFixed(2).padStart(5)}` +
      `${rss.toFixed(2).padStart(13)}  ${anchor.peakRssGib ? (rss / anchor.peakRssGib.value).toFixed(2).padStart(5) : '    –'}${measured.warmupSeconds.toFixed(1).padStart(16)}`,
  );
  const name = `trainer.step.vit-b-32.${run.label}`;
  results.push(
    benchResult(`${name}.seconds`, step, 's per step', anchor.seconds),
    benchResult(`${name}.gflops`, gflops, 'GFLOP/s (forward + backward)', anchorGflops),
    benchResult(`${name}.peak-rss`, rss, 'GiB peak RSS of the training process', anchor.peakRssGib),
  );
  if (measured.savedPerPair) {
    const { image, caption } = measured.savedPerPair;
    log(`       kept for the backward pass: ${(image / 2 ** 20).toFixed(1)} MiB an image, ${(caption / 2 ** 20).toFixed(1)} MiB a caption`);
    for (const [tower, bytes] of [['image', image], ['caption', caption]] as const) {
      results.push(benchResult(`trainer.step.vit-b-32.saved-for-backward.${tower}`, bytes / 2 ** 20, `MiB kept for the backward pass per ${tower}`, null));
    }
  }
  if (measured.profile) {
    log(`       one step on one thread, by kernel (tf.profile, batch ${run.batch}):`);
    for (const kernel of measured.profile.slice(0, 12)) {
      log(`         ${kernel.kernel.padEnd(44)} ${kernel.seconds.toFixed(2).padStart(6)} s  ${(100 * kernel.share).toFixed(1).padStart(5)} %${kernel.gflops ? `  ${kernel.gflops.toFixed(1)} GFLOP/s` : ''}`);
    }
  }
}
const baseline = seconds.get('batch-32.xnnpack');
const fast = seconds.get('batch-32');
if (baseline !== undefined && fast !== undefined) {
  log(`ONNX Runtime's products against XNNPACK's, batch 32: ${(baseline / fast).toFixed(2)}× faster (${fast.toFixed(2)} s against ${baseline.toFixed(2)} s)`);
  results.push(benchResult('trainer.step.vit-b-32.batch-32.onnxruntime-speed-up', baseline / fast, '× faster than the same step on XNNPACK products (same run)', null));
}
const backgroundSweeping = seconds.get('batch-32.background-sweeping');
if (backgroundSweeping !== undefined && fast !== undefined) {
  log(`V8 freeing onnxruntime-node's output copies in the foreground against its default background threads, batch 32: ${(backgroundSweeping / fast).toFixed(2)}× faster (${fast.toFixed(2)} s against ${backgroundSweeping.toFixed(2)} s)`);
  results.push(benchResult('trainer.step.vit-b-32.batch-32.foreground-sweeping-speed-up', backgroundSweeping / fast, '× faster than the same step with V8 sweeping array buffers in the background (same run)', null));
}
log(`load average after: ${loadAverage()}`);
await mergeResults(RESULTS_FILE, results);
log(`wrote ${results.length} results to ${RESULTS_FILE}`);
