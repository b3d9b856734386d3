// The image check a training run does before its first step: `verifyImages` decoding every
// distinct image of a generated data set (256×256 LZW .tif, the RSITMD format), on this thread and
// in the worker pool. Run with `npm run bench:verify` (after `npx tsup`: the workers load the
// built entry; BENCH_IMAGES, default 3000); prints images/s per setting and the load average.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { generateSyntheticDataset, readEvalAnnotations, readTrainAnnotations, syntheticDatasetFiles, verifyImages } from '../src/index';

const IMAGES = Number(process.env.BENCH_IMAGES ?? 3000);
const dir = mkdtempSync(path.join(tmpdir(), 'harma-bench-verify-'));

async function main(): Promise<void> {
  await generateSyntheticDataset(dir, { images: IMAGES, size: 256, format: 'tif' });
  const files = syntheticDatasetFiles(dir);
  // Every image of every split, as a run lists them.
  const images = [...(await readTrainAnnotations(files.train)).images, ...(await readEvalAnnotations(files.val)).images, ...(await readEvalAnnotations(files.test)).images];
  const count = new Set(images).size;
  console.log(`${count} images of 256×256 .tif; ${availableParallelism()} cores`);
  const workerScript = path.resolve('dist/workers/image-worker.js');
  for (const workers of [0, availableParallelism()]) {
    // Other work on the cores (the load average, taken before each pass) slows the check down.
    const load = loadavg()[0]?.toFixed(1);
    const start = performance.now();
    const problems = await verifyImages(files.imageRoot, images, { decode: true, workers, workerScript });
    const seconds = (performance.now() - start) / 1000;
    if (problems.length > 0) throw new Error(`${problems.length} images unreadable, e.g. ${problems[0]?.path}: ${problems[0]?.reason}`);
    console.log(`  decoded, ${workers === 0 ? 'this thread' : `${workers} workers`}: ${seconds.toFixed(1)} s, ${(count / seconds).toFixed(0)} images/s (load average ${load})`);
  }
  const start = performance.now();
  await verifyImages(files.imageRoot, images, { decode: false });
  console.log(`  existence only: ${((performance.now() - start) / 1000).toFixed(2)} s`);
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => rmSync(dir, { recursive: true, force: true }));
