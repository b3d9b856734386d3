import { getLogger } from '@harma/core';
import {
  MissingImagesError,
  dropEvalImages,
  dropTrainImages,
  readEvalAnnotations,
  readTrainAnnotations,
  verifyImages,
  type EvalAnnotations,
  type ImageProblem,
  type TrainAnnotations,
} from '@harma/data';
import type { TrainConfig } from '../config/train-config';
import { IMAGE_CHECK_PROGRESS, ProgressDisplay } from './progress-display';

/** The annotations a run reads, each split without the images `missingImages: skip` left out. */
export interface RunData {
  train?: TrainAnnotations;
  val?: EvalAnnotations;
  test?: EvalAnnotations;
  /** Images left out (policy `skip`); empty under `fail`, which throws instead. */
  skipped: ImageProblem[];
}

export interface ReadRunDataOptions {
  /** Which splits to read. */
  splits: ReadonlyArray<'train' | 'val' | 'test'>;
  /** Draw a progress bar (terminal) or log lines while the images are checked. Default: true. */
  progress?: boolean;
  /** Stop checking images once aborted (the call then rejects). */
  signal?: AbortSignal;
}

/**
 * Read a run's annotation files and check every image of every split before the first step —
 * decoded in the data workers, as the loader will decode it — so that a missing, corrupt or
 * truncated file is found now, with all the others, not after some steps. Under `missingImages:
 * fail` the run stops listing them all; under `skip` they and their captions are left out.
 */
export async function readRunData(config: TrainConfig, options: ReadRunDataOptions): Promise<RunData> {
  const { data } = config;
  const read = { maxWords: data.maxWords };
  const splits = new Set(options.splits);
  const train = splits.has('train') ? await readTrainAnnotations(data.train, { ...read, imageKey: data.imageKey }) : undefined;
  const val = splits.has('val') ? await readEvalAnnotations(data.val, read) : undefined;
  const test = splits.has('test') ? await readEvalAnnotations(data.test, read) : undefined;
  const images = [...(train?.images ?? []), ...(val?.images ?? []), ...(test?.images ?? [])];
  const display = new ProgressDisplay(options.progress ?? true, process.stderr, IMAGE_CHECK_PROGRESS);
  const distinct = new Set(images).size;
  display.start(distinct, 0);
  const started = performance.now();
  let problems: ImageProblem[];
  try {
    problems = await verifyImages(data.images, images, { decode: true, policy: 'skip', workers: data.workers, ...(options.signal ? { signal: options.signal } : {}), onProgress: (checked) => display.update(checked, undefined) });
  } finally {
    display.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  // The terminal's progress lines come every few seconds; this one says that the check is over, and how fast it went.
  getLogger('train').info(
    { details: { images: distinct, problems: problems.length, seconds: Number(seconds.toFixed(1)) } },
    `checked ${distinct.toLocaleString('en')} images in ${seconds.toFixed(1)} s (${Math.round(distinct / Math.max(seconds, 1e-3)).toLocaleString('en')} images/s): ` +
      (problems.length === 0 ? 'every one reads' : `${problems.length.toLocaleString('en')} missing or unreadable`),
  );
  if (problems.length > 0 && data.missingImages === 'fail') {
    throw new MissingImagesError(problems, {
      intro:
        `${problems.length} of the ${distinct.toLocaleString('en')} images the annotations name are missing or unreadable (data.images: ${data.images}); ` +
        'fix or remove them, or set data.missingImages: skip to leave them and their captions out:',
    });
  }
  if (problems.length > 0) {
    getLogger('train').warn(
      { skipped: problems.map((p) => ({ path: p.path, reason: p.reason })) },
      `leaving out ${problems.length} of ${distinct.toLocaleString('en')} images that are missing or unreadable, and their captions (data.missingImages: skip): ${problems
        .slice(0, 5)
        .map((p) => `${p.image} (${p.reason})`)
        .join(', ')}${problems.length > 5 ? `, … and ${problems.length - 5} more` : ''}`,
    );
  }
  const bad = problems.map((p) => p.image);
  return {
    ...(train ? { train: bad.length > 0 ? dropTrainImages(train, bad) : train } : {}),
    ...(val ? { val: bad.length > 0 ? dropEvalImages(val, bad) : val } : {}),
    ...(test ? { test: bad.length > 0 ? dropEvalImages(test, bad) : test } : {}),
    skipped: problems,
  };
}

/**
 * Refuse a batch size larger than the training set before anything is built: a step needs a
 * full batch (the paper drops the last incomplete one), so say which value to lower and to what.
 */
export function checkBatchSize(config: TrainConfig, train: TrainAnnotations, skipped: number): void {
  const captions = train.captions.length;
  const { batchSize } = config.training;
  if (captions >= batchSize) return;
  const suggestion = 2 ** Math.floor(Math.log2(Math.max(1, captions)));
  throw new Error(
    `training.batchSize is ${batchSize}, but the training annotations (data.train) hold ${captions} captions${skipped > 0 ? ` once ${skipped} unreadable images are left out` : ''}: ` +
      `a step needs a full batch, so no step would run. Set a smaller training.batchSize — at most ${captions}, e.g. --set training.batchSize=${suggestion} — or add training data.`,
  );
}
