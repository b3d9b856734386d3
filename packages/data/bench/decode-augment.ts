// Decode + augment throughput on 256×256 .tif images (the RSITMD format): one thread, decoding
// and augmenting image after image, against the loader's worker pool on every core.
// Run with `npm run bench` (after `npx tsup`: the workers load the built entry); prints images/s and the ratio.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { BatchLoader, decodeImage, generateSyntheticDataset, imageTransformSpec, readTrainAnnotations, syntheticDatasetFiles, transformImage, type LoaderSample } from '../src/index';

const IMAGES = Number(process.env.BENCH_IMAGES ?? 240);
const dir = mkdtempSync(path.join(tmpdir(), 'harma-bench-'));

async function main(): Promise<void> {
  // Other work on the cores (this load average, taken before the run) pulls the ratio towards 1.
  console.log(`load average before the run: ${loadavg()[0]?.toFixed(1)}`);
  const generated = performance.now();
  await generateSyntheticDataset(dir, { images: IMAGES + 2, size: 256, format: 'tif', split: { val: 1, test: 1 } });
  const files = syntheticDatasetFiles(dir);
  const train = await readTrainAnnotations(files.train);
  const samples: LoaderSample[] = train.images.map((image, imageId) => ({ image, imageId }));
  console.log(`${samples.length} images of 256×256 .tif written in ${((performance.now() - generated) / 1000).toFixed(1)} s; ${availableParallelism()} cores`);
  // CLIP's mean and std (clipPreprocessSpec of @harma/backbones); the values do not change the cost.
  const spec = imageTransformSpec({ mode: 'train', size: 224, mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711] });

  // Baseline: one thread, libvips limited to one thread too, image after image.
  sharp.concurrency(1);
  const single = await timed(async () => {
    for (let i = 0; i < samples.length; i++) {
      const image = await decodeImage(path.join(files.imageRoot, (samples[i] as LoaderSample).image));
      transformImage(image, spec, `bench/epoch0/sample${i}`);
    }
  });

  const workers = availableParallelism();
  // The worker threads run the built entry: `npx tsup` first.
  const workerScript = path.resolve('dist/workers/image-worker.js');
  const loader = new BatchLoader({ samples, imageRoot: files.imageRoot, batchSize: 32, transform: spec, workers, workerScript, prefetch: 4, dropLast: false });
  // Warm the pool (thread start-up and module loading) on one epoch, then time the next.
  for await (const _ of loader.epoch(0)) void _;
  const pooled = await timed(async () => {
    for await (const _ of loader.epoch(1)) void _;
  });
  await loader.close();

  const singleRate = samples.length / single;
  const pooledRate = samples.length / pooled;
  console.log(`decode + train augmentation (RandomResizedCrop 224, flip, RandAugment 2/7, normalise):`);
  const [singleCpu = 0, pooledCpu = 0] = cpu.map((seconds) => (1000 * seconds) / samples.length);
  console.log(`  one thread:          ${singleRate.toFixed(1)} images/s  (${singleCpu.toFixed(1)} ms CPU per image)`);
  console.log(`  BatchLoader ${workers} workers: ${pooledRate.toFixed(1)} images/s  (ratio ${(pooledRate / singleRate).toFixed(2)}× the single thread; ${pooledCpu.toFixed(1)} ms CPU per image, all threads)`);
  console.log(`  a HarMA ViT-B/32 training step on this machine takes ~2.6 pairs/s (DESIGN.md), so ${workers} workers feed ${(pooledRate / 2.6).toFixed(0)}× that.`);
}

/** Wall seconds of `work`; the process's CPU seconds (worker threads included) go to `cpu`. */
const cpu: number[] = [];
async function timed(work: () => Promise<void>): Promise<number> {
  const start = performance.now();
  const startCpu = process.cpuUsage();
  await work();
  const used = process.cpuUsage(startCpu);
  cpu.push((used.user + used.system) / 1e6);
  return (performance.now() - start) / 1000;
}

main()
  .finally(() => rmSync(dir, { recursive: true, force: true }))
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
