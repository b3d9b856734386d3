import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Piscina } from 'piscina';
import { SeededRandom, writeFileAtomic } from '@harma/core';
import { builtWorkerScript } from '../workers/worker-script';
import { SCENE_CLASSES, type SceneClass } from './scene-classes';
import { SYNTHETIC_STYLES, type SyntheticStyle } from './styles';
import { writeScene, type SceneTask, type SyntheticImageFormat } from './write-scene';

export interface SyntheticDatasetOptions {
  /** Seed of the whole data set (default 0); the same options give the same files. */
  seed?: number | string;
  /** Number of images (default 3000), five captions each. */
  images?: number;
  /** `source` (pretraining), `target` (shifted), or a style of your own (default `source`). */
  style?: 'source' | 'target' | SyntheticStyle;
  /** Image side in pixels (default 256, as RSITMD). */
  size?: number;
  /** Image files: `png` (default), `tif` (LZW, as RSITMD's .tif) or `jpg` (as RSICD). */
  format?: SyntheticImageFormat;
  /** Images in the validation and test splits (default 10% each); the rest is training. */
  split?: { val?: number; test?: number };
  /** Scene classes to draw (default all of SCENE_CLASSES), spread evenly over the images. */
  classes?: readonly SceneClass[];
  /** Worker threads drawing and encoding (default: one per core for 200+ images, else 0 = this thread). */
  workers?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Paths of a synthetic data set, in the RSITMD layout the annotation readers take. */
export interface SyntheticDatasetFiles {
  /** The folder holding `train/`, `val/`, `test/` image folders (the paper's `image_root`). */
  imageRoot: string;
  train: string;
  val: string;
  test: string;
  manifest: string;
}

export interface SyntheticDatasetManifest {
  kind: 'harma-synthetic';
  version: 1;
  seed: string;
  style: SyntheticStyle;
  size: number;
  format: SyntheticImageFormat;
  classes: SceneClass[];
  counts: { train: number; val: number; test: number };
  captionsPerImage: number;
  /** Paths relative to the data set folder. */
  files: { imageRoot: string; train: string; val: string; test: string };
  seconds: number;
}

const SPLITS = ['train', 'val', 'test'] as const;
type Split = (typeof SPLITS)[number];

/** Where the parts of a synthetic data set written to `dir` are. */
export function syntheticDatasetFiles(dir: string): SyntheticDatasetFiles {
  const root = path.resolve(dir);
  return {
    imageRoot: path.join(root, 'images'),
    train: path.join(root, 'annotations', 'synthetic_train.json'),
    val: path.join(root, 'annotations', 'synthetic_val.json'),
    test: path.join(root, 'annotations', 'synthetic_test.json'),
    manifest: path.join(root, 'dataset.json'),
  };
}

/** Read the manifest of a synthetic data set folder. */
export async function readSyntheticManifest(dir: string): Promise<SyntheticDatasetManifest> {
  const file = syntheticDatasetFiles(dir).manifest;
  const manifest = JSON.parse(await readFile(file, 'utf8')) as SyntheticDatasetManifest;
  if (manifest.kind !== 'harma-synthetic') throw new Error(`${file}: not a synthetic data set manifest`);
  return manifest;
}

interface PlannedImage {
  task: SceneTask;
  split: Split;
  /** Path relative to the image root, as written in the annotations. */
  image: string;
  sceneClass: SceneClass;
}

/**
 * Draw a synthetic remote-sensing data set into `dir` in the RSITMD layout:
 * `images/{train,val,test}/<class>_<n>.<ext>`, `annotations/synthetic_{train,val,test}.json`
 * (training: one entry per caption with `image_id`; val/test: one entry per image with its five
 * captions) and `dataset.json`. Read it back with `readTrainAnnotations` / `readEvalAnnotations`.
 */
export async function generateSyntheticDataset(dir: string, options: SyntheticDatasetOptions = {}): Promise<SyntheticDatasetManifest> {
  const started = performance.now();
  const seed = String(options.seed ?? 0);
  const count = options.images ?? 3000;
  const size = options.size ?? 256;
  const format = options.format ?? 'png';
  const style = typeof options.style === 'object' ? options.style : SYNTHETIC_STYLES[options.style ?? 'source'];
  const classes = [...(options.classes ?? SCENE_CLASSES)];
  if (!Number.isInteger(count) || count < 3) throw new RangeError(`images must be an integer of at least 3, got ${count}`);
  if (!Number.isInteger(size) || size < 16) throw new RangeError(`size must be an integer of at least 16 pixels, got ${size}`);
  if (!['png', 'tif', 'jpg'].includes(format)) throw new RangeError(`format must be png, tif or jpg, got ${String(format)}`);
  if (style === undefined) throw new RangeError(`unknown style ${String(options.style)}; use source, target or a SyntheticStyle`);
  if (classes.length === 0 || classes.some((c) => !SCENE_CLASSES.includes(c))) throw new RangeError(`classes must be among ${SCENE_CLASSES.join(', ')}`);
  const testCount = options.split?.test ?? Math.max(1, Math.round(count * 0.1));
  const valCount = options.split?.val ?? Math.max(1, Math.round(count * 0.1));
  if (!Number.isInteger(testCount) || !Number.isInteger(valCount) || testCount < 0 || valCount < 0 || testCount + valCount >= count) {
    throw new RangeError(`split sizes (val ${valCount}, test ${testCount}) must leave training images out of ${count}`);
  }

  const files = syntheticDatasetFiles(dir);
  await prepareFolder(path.resolve(dir), files);
  for (const split of SPLITS) await mkdir(path.join(files.imageRoot, split), { recursive: true });
  await mkdir(path.dirname(files.train), { recursive: true });

  const plan = planImages({ seed, count, classes, testCount, valCount, style, size, format, imageRoot: files.imageRoot });
  const captions = await drawAll(plan, options);

  const counts = { train: 0, val: 0, test: 0 };
  const train: object[] = [];
  const evaluation: Record<'val' | 'test', object[]> = { val: [], test: [] };
  plan.forEach((item, index) => {
    const label = SCENE_CLASSES.indexOf(item.sceneClass);
    const texts = captions[index] as string[];
    if (item.split === 'train') {
      const imageId = counts.train;
      for (const caption of texts) train.push({ caption, image: item.image, image_id: imageId, label_name: item.sceneClass, label });
    } else {
      evaluation[item.split].push({ image: item.image, caption: texts, label_name: item.sceneClass, label });
    }
    counts[item.split]++;
  });
  await writeFileAtomic(files.train, JSON.stringify(train));
  await writeFileAtomic(files.val, JSON.stringify(evaluation.val));
  await writeFileAtomic(files.test, JSON.stringify(evaluation.test));
  const relative = (file: string): string => path.relative(path.resolve(dir), file);
  const manifest: SyntheticDatasetManifest = {
    kind: 'harma-synthetic',
    version: 1,
    seed,
    style,
    size,
    format,
    classes,
    counts,
    captionsPerImage: 5,
    files: { imageRoot: relative(files.imageRoot), train: relative(files.train), val: relative(files.val), test: relative(files.test) },
    seconds: (performance.now() - started) / 1000,
  };
  await writeFileAtomic(files.manifest, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** A folder we wrote before is cleared and rewritten; anything else in our way is refused. */
async function prepareFolder(root: string, files: SyntheticDatasetFiles): Promise<void> {
  const ours = existsSync(files.manifest);
  for (const part of [files.imageRoot, path.dirname(files.train)]) {
    if (!existsSync(part)) continue;
    if (!ours) throw new Error(`${part} exists and ${root} holds no synthetic data set (no dataset.json): choose an empty or new folder`);
    await rm(part, { recursive: true, force: true });
  }
}

function planImages(input: {
  seed: string;
  count: number;
  classes: SceneClass[];
  testCount: number;
  valCount: number;
  style: SyntheticStyle;
  size: number;
  format: SyntheticImageFormat;
  imageRoot: string;
}): PlannedImage[] {
  const rng = new SeededRandom(`${input.seed}/plan`);
  // Classes in equal shares, in random order; the first images go to test, then val, then train.
  const order = rng.shuffle(Array.from({ length: input.count }, (_, i) => input.classes[i % input.classes.length] as SceneClass));
  const extension = input.format;
  return order.map((sceneClass, index) => {
    const split: Split = index < input.testCount ? 'test' : index < input.testCount + input.valCount ? 'val' : 'train';
    const image = `${split}/${sceneClass}_${index}.${extension}`;
    return {
      split,
      image,
      sceneClass,
      task: {
        seed: `${input.seed}/${input.style.name}/${index}`,
        sceneClass,
        style: input.style,
        size: input.size,
        format: input.format,
        file: path.join(input.imageRoot, image),
      },
    };
  });
}

async function drawAll(plan: readonly PlannedImage[], options: SyntheticDatasetOptions): Promise<string[][]> {
  const script = builtWorkerScript('synthetic-worker');
  const requested = options.workers ?? (plan.length >= 200 ? availableParallelism() : 0);
  if (requested > 0 && script === undefined && options.workers !== undefined) {
    throw new Error('workers need the built worker (dist/workers/synthetic-worker.js): build @harma/data first, or pass workers: 0');
  }
  const workers = script === undefined ? 0 : requested;
  const captions: string[][] = new Array<string[]>(plan.length);
  let done = 0;
  const report = (): void => options.onProgress?.(++done, plan.length);
  if (workers === 0) {
    // Encoding runs on libvips threads, so a few images stay in flight while the next is drawn.
    await forEachLimited(plan.length, 4, async (index) => {
      captions[index] = await writeScene((plan[index] as PlannedImage).task);
      report();
    });
    return captions;
  }
  const pool = new Piscina({ filename: script, minThreads: workers, maxThreads: workers });
  try {
    await Promise.all(
      plan.map(async (item, index) => {
        captions[index] = (await pool.run(item.task)) as string[];
        report();
      }),
    );
  } finally {
    await pool.destroy();
  }
  return captions;
}

/** Run `job(0..count-1)` with at most `limit` running at once; the first failure is thrown after the others settle. */
async function forEachLimited(count: number, limit: number, job: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, count) }, async () => {
    while (next < count) {
      try {
        await job(next++);
      } catch (error) {
        // Stop handing out work; the runners still busy finish their current image.
        next = count;
        throw error;
      }
    }
  });
  const results = await Promise.allSettled(runners);
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
}
