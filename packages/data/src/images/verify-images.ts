import { availableParallelism } from 'node:os';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Piscina } from 'piscina';
import { decodeImage } from './decode-image';
import type { EvalAnnotations } from '../annotations/eval-annotations';
import type { TrainAnnotations } from '../annotations/train-annotations';
import type { MissingImagePolicy } from '../loader/batch-loader';
import { builtWorkerScript } from '../workers/worker-script';

/** An image that is missing or unreadable, with its full path and why. */
export interface ImageProblem {
  /** The path as the annotations give it. */
  image: string;
  path: string;
  reason: string;
}

export interface VerifyImagesOptions {
  /** `fail` (default) throws listing the problems; `skip` returns them for the caller to drop. */
  policy?: MissingImagePolicy;
  /** Also decode every image (catches truncated and corrupt files), not only check that the file exists. Default: false. */
  decode?: boolean;
  /** Largest image accepted in pixels when decoding (decodeImage's default otherwise), as the loader will apply it. */
  maxPixels?: number;
  /**
   * Worker threads that decode (piscina, as the BatchLoader's). Default: cores − 1, at least 1,
   * when the built worker entry exists, else 0; 0 = this thread (sharp still decodes off it).
   */
  workers?: number;
  /** The worker entry file (default: the built `dist/workers/image-worker.js`). */
  workerScript?: string;
  /** Checks in flight at once per thread. Default 4 with workers, 8 on this thread. */
  concurrency?: number;
  /** Called after every image: how many of `total` (distinct images) are checked. */
  onProgress?: (checked: number, total: number) => void;
  /** Stop checking once aborted: the checks in flight finish, then the call rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** What one check needs: plain data, it crosses to worker threads. */
export interface ImageCheckTask {
  path: string;
  decode: boolean;
  maxPixels?: number;
}

/** Thrown by `verifyImages` under the `fail` policy; lists every problem found. */
export class MissingImagesError extends Error {
  override readonly name = 'MissingImagesError';
  constructor(readonly problems: readonly ImageProblem[], options: { shown?: number; intro?: string } = {}) {
    super(formatImageProblems(problems, options));
  }
}

/**
 * The problems as lines (`  <path>: <reason>`), after an introduction (default: `N image(s)
 * missing or unreadable:`); past `shown` lines (default 20) the rest are counted.
 */
export function formatImageProblems(problems: readonly ImageProblem[], options: { shown?: number; intro?: string } = {}): string {
  const shown = options.shown ?? 20;
  const lines = problems.slice(0, shown).map((p) => `  ${p.path}: ${p.reason}`);
  const more = problems.length > shown ? `\n  … and ${problems.length - shown} more` : '';
  return `${options.intro ?? `${problems.length} image(s) missing or unreadable:`}\n${lines.join('\n')}${more}`;
}

/** Why an image file cannot be used, or undefined when it can: missing, not a file, or (with `decode`) not decodable. */
export async function checkImageFile(task: ImageCheckTask): Promise<string | undefined> {
  try {
    const info = await stat(task.path).catch(() => undefined);
    if (info === undefined) return 'no such file';
    if (!info.isFile()) return 'not a file';
    if (task.decode) await decodeImage(task.path, task.maxPixels === undefined ? {} : { maxPixels: task.maxPixels });
    return undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return message.startsWith(`${task.path}: `) ? message.slice(task.path.length + 2) : message;
  }
}

/**
 * Check every image of an image root (`train/`, `val/`, `test/` folders of .tif or .jpg) before a
 * long run rather than in the middle of it: that each exists and, with `decode`, decodes as the
 * loader will decode it — in the worker pool, all of them, reporting every problem at once.
 * Returns the problems (sorted by path) under `skip`; throws `MissingImagesError` under `fail`.
 */
export async function verifyImages(imageRoot: string, images: readonly string[], options: VerifyImagesOptions = {}): Promise<ImageProblem[]> {
  const unique = [...new Set(images)];
  const script = options.workerScript ?? builtWorkerScript('image-worker');
  const requested = options.workers ?? Math.max(1, availableParallelism() - 1);
  if (!Number.isInteger(requested) || requested < 0) throw new RangeError(`workers must be a non-negative integer, got ${requested}`);
  if (requested > 0 && script === undefined && options.workers !== undefined) {
    throw new Error('verifyImages: workers need the built worker (dist/workers/image-worker.js): build @harma/data, pass workerScript, or workers: 0');
  }
  const workers = script === undefined || unique.length === 0 ? 0 : Math.min(requested, unique.length);
  const pool = workers > 0 ? new Piscina({ filename: script, minThreads: workers, maxThreads: workers }) : undefined;
  const check = (task: ImageCheckTask): Promise<string | undefined> => (pool ? (pool.run(task, { name: 'checkImage' }) as Promise<string | undefined>) : checkImageFile(task));
  const problems: ImageProblem[] = [];
  let next = 0;
  let checked = 0;
  const lane = async (): Promise<void> => {
    while (next < unique.length && options.signal?.aborted !== true) {
      const image = unique[next++] as string;
      const file = path.resolve(imageRoot, image);
      const reason = await check({ path: file, decode: options.decode === true, ...(options.maxPixels === undefined ? {} : { maxPixels: options.maxPixels }) });
      if (reason !== undefined) problems.push({ image, path: file, reason });
      options.onProgress?.(++checked, unique.length);
    }
  };
  try {
    const lanes = pool ? workers * (options.concurrency ?? 4) : (options.concurrency ?? 8);
    await Promise.all(Array.from({ length: Math.min(lanes, unique.length) }, lane));
  } finally {
    await pool?.destroy();
  }
  options.signal?.throwIfAborted();
  problems.sort((a, b) => a.path.localeCompare(b.path));
  if (problems.length > 0 && (options.policy ?? 'fail') === 'fail') throw new MissingImagesError(problems);
  return problems;
}

/** The training set without the captions of some images; dense image indices are renumbered. */
export function dropTrainImages(train: TrainAnnotations, images: Iterable<string>): TrainAnnotations {
  const dropped = new Set(images);
  const renumber = new Map<number, number>();
  const kept: string[] = [];
  const captions = train.captions
    .filter((c) => !dropped.has(c.image))
    .map((c) => {
      let index = renumber.get(c.imageIndex);
      if (index === undefined) {
        index = kept.length;
        renumber.set(c.imageIndex, index);
        kept.push(c.image);
      }
      return { ...c, imageIndex: index };
    });
  return { files: train.files, captions, images: kept };
}

/** An evaluation split without some images and their captions; img2txt / txt2img rebuilt. */
export function dropEvalImages(evaluation: EvalAnnotations, images: Iterable<string>): EvalAnnotations {
  const dropped = new Set(images);
  const out: EvalAnnotations = { file: evaluation.file, images: [], captions: [], rawCaptions: [], img2txt: [], txt2img: [], labels: [], labelNames: [] };
  evaluation.images.forEach((image, i) => {
    if (dropped.has(image)) return;
    const imageIndex = out.images.length;
    out.images.push(image);
    out.labels.push(evaluation.labels[i]);
    out.labelNames.push(evaluation.labelNames[i]);
    out.img2txt.push(
      (evaluation.img2txt[i] ?? []).map((t) => {
        out.txt2img.push(imageIndex);
        out.captions.push(evaluation.captions[t] as string);
        out.rawCaptions.push(evaluation.rawCaptions[t] as string);
        return out.captions.length - 1;
      }),
    );
  });
  return out;
}
