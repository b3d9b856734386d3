// A full HarMA training step on CLIP RN50 (random weights, QuickGELU, 77-token captions) on the
// default backend, at batch 32 and at the paper's batch of 214: BatchNorm in training mode as the
// official loop runs it, so the frozen image tower is encoded over the whole batch once per step
// (streamed in chunks of images: the batch-214 forward would not fit the wasm heap in one piece),
// and HarMA trains on the text tower. Each measurement runs in its own process (its peak RSS is
// its own), with the default number of threads. Results merge into the repository's
// bench/results.json beside the ViT-B/32 ones (training-step.bench.ts). Convolutions, like the
// matrix products, run on ONNX Runtime when it loads (`HARMA_PRODUCTS=xnnpack`: the wasm backend's own).
import os from 'node:os';
import { initBackend } from '@harma/core';
import { benchResult, mergeResults, repositoryResultsFile, type BenchResult } from '@harma/bench-results';
import { defaultTrainingThreads } from '../src/parallel/training-threads';
import { runMeasurement } from './run-measurement';

const GIB = 2 ** 30;
const log = (line: string): void => void process.stdout.write(`${line}\n`);
const loadAverage = (): string => os.loadavg().map((l) => l.toFixed(2)).join(' ');

// Batch sizes from the command line (`-- 32 214`); default both.
const batches = process.argv.slice(2).map(Number).filter((n) => Number.isInteger(n) && n > 1);
const { backend, products } = await initBackend();
const threads = defaultTrainingThreads();
log(`backend ${backend}${products ? `, matrix products on ${products.engine}` : ''}, ${threads} threads per step, ${os.availableParallelism()} cores, load average ${loadAverage()}`);
log('model: RN50 (QuickGELU) + HarMA on the text tower (bottleneck 128, BiShare), random weights, BatchNorm in training mode, 77-token captions');
log('');
log('batch  threads  step s  warm-up s  build s  peak RSS GiB  (micro-batches of 32 above 32)');
const results: BenchResult[] = [];
for (const batch of batches.length > 0 ? batches : [32, 214]) {
  // As the shipped configs: batches over 32 are accumulated exactly from micro-batches of 32 captions.
  const measured = runMeasurement({ model: 'rn50', threads, batch, steps: 1, ...(batch > 32 ? { microBatchSize: 32 } : {}) });
  const step = Math.min(...measured.seconds);
  const rss = measured.peakRss / GIB;
  log(`${String(batch).padStart(5)}  ${String(threads).padStart(7)}  ${step.toFixed(1).padStart(6)}  ${measured.warmupSeconds.toFixed(1).padStart(9)}  ${measured.buildSeconds.toFixed(1).padStart(7)}  ${rss.toFixed(2).padStart(12)}`);
  const name = `trainer.step.rn50.batch-${batch}`;
  results.push(benchResult(`${name}.seconds`, step, `s per step (BatchNorm in training mode, convolutions on ${products?.engine ?? backend})`, null), benchResult(`${name}.peak-rss`, rss, 'GiB peak RSS of the training process', null));
}
log(`load average after: ${loadAverage()}`);
await mergeResults(repositoryResultsFile(), results);
log(`wrote ${results.length} results to ${repositoryResultsFile()}`);
