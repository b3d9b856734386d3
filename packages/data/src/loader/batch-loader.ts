import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Piscina } from 'piscina';
import { getLogger, SeededRandom, type TextTokenizer } from '@harma/core';
import { ImageDecodeError } from '../images/image-decode-error';
import { runImageTask, type ImageTask, type ImageTaskResult } from '../images/image-task';
import type { RgbImage } from '../images/rgb-image';
import { imageTransformSpec, type ImageTransformOptions, type ImageTransformSpec } from '../images/transforms';
import { builtWorkerScript } from '../workers/worker-script';

/** One item the loader serves: an image, optionally its caption, and its dense image id. */
export interface LoaderSample {
  /** Image path, relative to `imageRoot` (as in the annotation files) or absolute. */
  image: string;
  caption?: string;
  /** The id the losses group by (the paper's `idx`); an image index for evaluation. */
  imageId: number;
}

/** What to do when an image file is missing or unreadable. */
export type MissingImagePolicy = 'fail' | 'skip';

export interface BatchLoaderOptions {
  samples: readonly LoaderSample[];
  /** Folder relative image paths are resolved against (the paper's `image_root`). */
  imageRoot?: string;
  /** Turns captions into ids; required when the samples have captions. */
  tokenizer?: TextTokenizer;
  batchSize: number;
  /**
   * Image transform: `mean` and `std` from the backbone's preprocessing spec (`backbone.preprocess`);
   * mode (default train), size (default 224 px) and augmentation (default the paper's) may be left out.
   */
  transform: ImageTransformOptions;
  /** Seed of the shuffles and augmentations (default 0). */
  seed?: number | string;
  /** Shuffle every epoch (default: in train mode). */
  shuffle?: boolean;
  /** Drop a last incomplete batch (default: in train mode, as the paper's training loader). */
  dropLast?: boolean;
  /** Worker threads decoding and augmenting (default: cores − 1, at least 1; 0 = this thread). */
  workers?: number;
  /** Batches prepared ahead of the one being consumed (default 2). */
  prefetch?: number;
  /** Keep decoded images in memory after their first read (small data sets; default false). */
  cache?: boolean;
  /** Missing or unreadable image: `fail` (default) throws ImageDecodeError naming the file; `skip` drops the sample and counts it. */
  onMissingImage?: MissingImagePolicy;
  /** Largest image accepted in pixels (decodeImage's default otherwise). */
  maxPixels?: number;
  /** The worker entry file (default: the built `dist/workers/image-worker.js`). */
  workerScript?: string;
}

/** One batch: tensors-to-be as flat typed arrays, batch-first. */
export interface Batch {
  /** [size, 3, imageSize, imageSize] float32, normalised. */
  pixels: Float32Array;
  /** [size, contextLength] int32, zero padded; absent when the samples have no captions. */
  tokens?: Int32Array;
  /** [size] int32: each sample's image id. */
  imageIds: Int32Array;
  /** [size] int32: each sample's position in `samples`. */
  indices: Int32Array;
  /** Samples in this batch (smaller than batchSize at the end, or after skipped images). */
  size: number;
  imageSize: number;
  epoch: number;
  /** Batch number within the epoch. */
  step: number;
}

/** A sample left out because its image could not be read (policy `skip`). */
export interface SkippedSample {
  index: number;
  path: string;
  reason: string;
  epoch: number;
}

/**
 * Batches of (pixels, token ids, image ids) for training or evaluation: a seeded shuffle per
 * epoch, decoding and augmentation in worker threads with batches prepared ahead, and each
 * sample's augmentation drawn from its own stream (`seed`, epoch, sample index), so a run is
 * reproducible whatever the threads do. `close()` when done.
 */
export class BatchLoader {
  readonly samples: readonly LoaderSample[];
  readonly batchSize: number;
  readonly spec: ImageTransformSpec;
  readonly seed: string;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly workers: number;
  readonly prefetch: number;
  /** Samples skipped so far (policy `skip`), with the file and the reason. */
  readonly skipped: SkippedSample[] = [];
  readonly #options: BatchLoaderOptions;
  readonly #cache: Map<string, RgbImage> | undefined;
  readonly #unreadable = new Map<string, string>();
  readonly #workerScript: string | undefined;
  #pool: Piscina | undefined;

  constructor(options: BatchLoaderOptions) {
    const { samples, batchSize } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
    if (samples.length === 0) throw new RangeError('BatchLoader: no samples');
    const captioned = samples.filter((s) => s.caption !== undefined).length;
    if (captioned !== 0 && captioned !== samples.length) throw new Error('BatchLoader: either every sample has a caption or none has');
    if (captioned > 0 && options.tokenizer === undefined) throw new Error('BatchLoader: the samples have captions, so a tokenizer is needed');
    this.samples = samples;
    this.batchSize = batchSize;
    this.spec = imageTransformSpec(options.transform);
    this.seed = String(options.seed ?? 0);
    this.shuffle = options.shuffle ?? this.spec.mode === 'train';
    this.dropLast = options.dropLast ?? this.spec.mode === 'train';
    this.prefetch = options.prefetch ?? 2;
    if (!Number.isInteger(this.prefetch) || this.prefetch < 0) throw new RangeError(`prefetch must be a non-negative integer, got ${this.prefetch}`);
    this.#workerScript = options.workerScript ?? builtWorkerScript('image-worker');
    const requested = options.workers ?? Math.max(1, availableParallelism() - 1);
    if (!Number.isInteger(requested) || requested < 0) throw new RangeError(`workers must be a non-negative integer, got ${requested}`);
    if (requested > 0 && this.#workerScript === undefined && options.workers !== undefined) {
      throw new Error('BatchLoader: workers need the built worker (dist/workers/image-worker.js): build @harma/data, pass workerScript, or workers: 0');
    }
    this.workers = this.#workerScript === undefined ? 0 : requested;
    this.#cache = options.cache === true ? new Map() : undefined;
    this.#options = options;
    if (this.dropLast && samples.length < batchSize) {
      throw new RangeError(`${samples.length} samples make no full batch of ${batchSize} (dropLast drops an incomplete one): use a batchSize of at most ${samples.length}, or dropLast: false`);
    }
  }

  /** Batches in one epoch. */
  get batchesPerEpoch(): number {
    return this.dropLast ? Math.floor(this.samples.length / this.batchSize) : Math.ceil(this.samples.length / this.batchSize);
  }

  /** Sample indices in the order epoch `epoch` serves them (each epoch's shuffle depends only on the seed and the epoch). */
  order(epoch: number): number[] {
    if (!this.shuffle) return Array.from({ length: this.samples.length }, (_, i) => i);
    return new SeededRandom(`${this.seed}/order/${epoch}`).permutation(this.samples.length);
  }

  /** The batches of one epoch, prepared `prefetch` batches ahead. Start from `fromStep` to resume. */
  async *epoch(epoch: number, options: { fromStep?: number } = {}): AsyncGenerator<Batch, void, undefined> {
    const order = this.order(epoch);
    const total = this.batchesPerEpoch;
    let next = options.fromStep ?? 0;
    const pending: Array<Promise<Batch | undefined>> = [];
    const launch = (): void => {
      if (next >= total) return;
      const step = next++;
      const indices = order.slice(step * this.batchSize, (step + 1) * this.batchSize);
      const prepared = this.#prepare(indices, epoch, step);
      // A consumer that stops early leaves batches in flight; their failures are not its concern.
      prepared.catch(() => undefined);
      pending.push(prepared);
    };
    for (let k = 0; k <= this.prefetch; k++) launch();
    while (pending.length > 0) {
      const batch = await (pending.shift() as Promise<Batch | undefined>);
      launch();
      if (batch !== undefined) yield batch;
    }
  }

  /** Stop the worker threads. */
  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    if (pool !== undefined) await pool.destroy();
  }

  async #prepare(indices: readonly number[], epoch: number, step: number): Promise<Batch | undefined> {
    const results = await Promise.all(indices.map((index) => this.#load(index, epoch)));
    const kept = indices.filter((_, k) => results[k] !== undefined);
    if (kept.length === 0) return undefined;
    const plane = 3 * this.spec.size * this.spec.size;
    const pixels = new Float32Array(kept.length * plane);
    let row = 0;
    for (const result of results) if (result !== undefined) pixels.set(result, plane * row++);
    const samples = kept.map((index) => this.samples[index] as LoaderSample);
    const captions = samples.map((s) => s.caption);
    const tokens = captions[0] === undefined ? undefined : this.#options.tokenizer?.encode(captions as string[]);
    return {
      pixels,
      ...(tokens === undefined ? {} : { tokens }),
      imageIds: Int32Array.from(samples, (s) => s.imageId),
      indices: Int32Array.from(kept),
      size: kept.length,
      imageSize: this.spec.size,
      epoch,
      step,
    };
  }

  async #load(index: number, epoch: number): Promise<Float32Array | undefined> {
    const sample = this.samples[index] as LoaderSample;
    const file = this.#options.imageRoot === undefined ? path.resolve(sample.image) : path.resolve(this.#options.imageRoot, sample.image);
    const known = this.#unreadable.get(file);
    if (known !== undefined) return this.#unreadableImage(index, file, known, epoch);
    const cached = this.#cache?.get(file);
    const task: ImageTask = {
      path: file,
      ...(cached === undefined ? {} : { decoded: cached }),
      spec: this.spec,
      seed: `${this.seed}/epoch${epoch}/sample${index}`,
      returnDecoded: this.#cache !== undefined && cached === undefined,
      ...(this.#options.maxPixels === undefined ? {} : { maxPixels: this.#options.maxPixels }),
    };
    const result: ImageTaskResult = this.workers > 0 ? ((await this.#workerPool().run(task)) as ImageTaskResult) : await runImageTask(task);
    if ('error' in result) {
      this.#unreadable.set(file, result.error);
      return this.#unreadableImage(index, file, result.error, epoch);
    }
    if (result.decoded !== undefined) this.#cache?.set(file, result.decoded);
    return result.pixels;
  }

  #unreadableImage(index: number, file: string, message: string, epoch: number): undefined {
    const reason = message.startsWith(`${file}: `) ? message.slice(file.length + 2) : message;
    if ((this.#options.onMissingImage ?? 'fail') === 'fail') throw new ImageDecodeError(file, reason);
    if (!this.skipped.some((s) => s.path === file)) getLogger('data').warn({ details: { path: file, reason } }, `skipping an unreadable image, ${file}: ${reason}`);
    this.skipped.push({ index, path: file, reason, epoch });
    return undefined;
  }

  #workerPool(): Piscina {
    this.#pool ??= new Piscina({ filename: this.#workerScript as string, minThreads: this.workers, maxThreads: this.workers, idleTimeout: 60_000 });
    return this.#pool;
  }
}
