import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { activeBackend, activeProductEngine, type Parameter, type ProductEngineOptions } from '@harma/core';
import {
  objectiveHead,
  shardGradients,
  wholeBatchImageEmbeddings,
  type BatchGradients,
  type BatchGradientsOptions,
  type EmbeddingExchange,
  type LossTerms,
  type Shard,
  type TrainingBatch,
} from '@harma/losses';
import type { FromWorker, ToWorker } from './messages';
import type { ModelRecipe, ShardModel } from './model-recipe';
import { ParameterLayout } from './parameter-layout';
import {
  ABORT,
  GO,
  allocateShared,
  doneIndex,
  embeddedIndex,
  failedIndex,
  readError,
  signal,
  viewShared,
  waitFor,
  type SharedBuffers,
  type SharedState,
} from './shared-state';
import { trainingWorkerScript } from './worker-script';

export interface DataParallelOptions {
  /** Threads computing each step, this one included (≥ 2). */
  threads: number;
  /** How each worker builds its own copy of the model: the frozen weights must match `model`'s. */
  recipe: ModelRecipe;
  /** This thread's copy: it computes the first shard, the objective, and the summed gradients. */
  model: ShardModel;
  /** The built worker entry. Default: found next to the running bundle (`trainingWorkerScript`). */
  workerScript?: string;
  /**
   * Keep each frozen weight's transposed copy between steps (see `Parameter.keepTransposed`):
   * ~3% faster, one more copy of the frozen weights per thread. Default: false — memory, not
   * time, is what limits several copies of a large model.
   */
  keepTransposed?: boolean;
  /** Longest wait for another thread within a step before giving up, in ms. Default: 1 hour. */
  stallTimeoutMs?: number;
}

/** Row ranges of the batch each participating thread encodes: contiguous, sizes differ by at most one. */
export function shardRanges(size: number, threads: number): Array<{ start: number; size: number }> {
  const count = Math.max(1, Math.min(threads, size));
  const base = Math.floor(size / count);
  const extra = size % count;
  const out: Array<{ start: number; size: number }> = [];
  let start = 0;
  for (let i = 0; i < count; i++) {
    const rows = base + (i < extra ? 1 : 0);
    out.push({ start, size: rows });
    start += rows;
  }
  return out;
}

/**
 * Exact data-parallel training steps on several threads, each with its own tfjs engine, wasm
 * backend and copy of the model (tfjs runs one thread per engine; the wasm backend has no
 * threads under Node).
 *
 * A step: the trainable values go to shared memory; each thread encodes its share of the batch
 * inside its gradient function and publishes the embeddings; this thread computes the whole
 * batch's objective, its gradient w.r.t. every embedding and `temp`, and publishes those; every
 * thread back-propagates Σ e ⊙ stop(dL/de) through its share; this thread sums the gradients.
 * Every thread runs `@harma/losses`' `shardGradients`, and the objective is its `objectiveHead`:
 * the algorithm of the single-thread `batchGradients`, whose result this is up to float summation
 * order. No second forward pass. The threads meet through `Atomics.wait` on shared memory, so
 * `batchGradients` is synchronous.
 *
 * Steps run in training mode (the official loop's `model.train()`): each worker's copy is set to
 * it, and so is this thread's model at every step. A batch-dependent image tower (a CLIP ResNet's
 * BatchNorm, which normalises with the whole batch's statistics and updates its running ones) is
 * encoded here, once for the whole batch, as `batchGradients` does on one thread; the workers get
 * their rows of its embeddings instead of pixels, and the running statistics live in this
 * thread's model only.
 */
export class DataParallelGradients {
  readonly threads: number;
  readonly #model: ShardModel;
  readonly #layout: ParameterLayout;
  readonly #workers: Worker[];
  readonly #stallTimeoutMs: number;
  #buffers: SharedBuffers;
  #state: SharedState;
  #step = 0;
  #closed = false;

  private constructor(options: DataParallelOptions, workers: Worker[], buffers: SharedBuffers, layout: ParameterLayout) {
    this.threads = options.threads;
    this.#model = options.model;
    this.#layout = layout;
    this.#workers = workers;
    this.#buffers = buffers;
    this.#state = viewShared(buffers);
    this.#stallTimeoutMs = options.stallTimeoutMs ?? 3_600_000;
  }

  /** Start the worker threads and wait until each has built its model. */
  static async start(options: DataParallelOptions): Promise<DataParallelGradients> {
    if (!Number.isInteger(options.threads) || options.threads < 2) throw new Error(`DataParallelGradients: threads must be an integer ≥ 2, got ${options.threads}`);
    const script = options.workerScript ?? trainingWorkerScript();
    if (!script) throw new Error('DataParallelGradients: the built worker entry (dist/parallel/training-worker.js) was not found; build @harma/trainer (npx tsup)');
    const backend = activeBackend();
    if (!backend) throw new Error('DataParallelGradients: no tensor backend is active (call initBackend first)');
    const engine = backend === 'wasm' ? activeProductEngine() : undefined;
    const products: ProductEngineOptions = engine ? { products: engine.engine, productThreads: engine.threads } : {};
    const keepTransposed = options.keepTransposed ?? false;
    for (const parameter of options.model.backbone.module.parameters()) parameter.keepTransposed = keepTransposed;
    const layout = new ParameterLayout(options.model.trainable);
    const workerCount = options.threads - 1;
    const buffers = allocateShared(workerCount, layout.size, options.threads, options.model.backbone.embedDim);
    const workers: Worker[] = [];
    try {
      for (let w = 0; w < workerCount; w++) {
        const worker = new Worker(script);
        workers.push(worker);
        const init: ToWorker = {
          type: 'init', worker: w, backend, products, recipe: options.recipe, slots: [...layout.slots], buffers, keepTransposed,
          stallTimeoutMs: options.stallTimeoutMs ?? 3_600_000,
        };
        worker.postMessage(init);
      }
      await Promise.all(workers.map((worker, w) => ready(worker, w)));
    } catch (error) {
      await Promise.all(workers.map((worker) => worker.terminate()));
      throw error;
    }
    return new DataParallelGradients(options, workers, buffers, layout);
  }

  /**
   * Loss terms and gradients of one batch, as `batchGradients` (`@harma/losses`) computes them on
   * one thread: every trainable parameter of the model gets its gradient (zeros where it has no
   * influence).
   */
  batchGradients(batch: TrainingBatch, options: BatchGradientsOptions = {}): BatchGradients {
    if (this.#closed) throw new Error('DataParallelGradients: closed');
    const k = ++this.#step;
    const model = this.#model;
    model.backbone.setTraining?.(true);
    const towerParameters = model.trainable.filter(([, parameter]) => parameter !== model.temperature);
    // Before any worker starts: a tower that cannot be encoded in parts refuses here (see wholeBatchImageEmbeddings).
    const images = model.backbone.towers.vision.batchDependent ? wholeBatchImages(model, batch, towerParameters) : undefined;
    const shards = shardRanges(batch.size, this.threads);
    this.#ensureCapacity(batch.size);
    const state = this.#state;
    this.#layout.writeValues(this.#model.trainable, state.parameters);
    const contextLength = batch.tokens.length / batch.size;
    const pixelsPerPair = 3 * batch.imageSize * batch.imageSize;
    const dim = model.backbone.embedDim;
    shards.slice(1).forEach((shard, w) => {
      const rows = (values: Float32Array, per: number): Float32Array => values.slice(shard.start * per, (shard.start + shard.size) * per);
      const message: ToWorker = {
        type: 'step', step: k, start: shard.start, size: shard.size,
        tokens: batch.tokens.slice(shard.start * contextLength, (shard.start + shard.size) * contextLength),
        contextLength, microBatchSize: options.microBatchSize,
        ...(images ? { imageEmbeddings: rows(images, dim) } : { pixels: rows(batch.pixels, pixelsPerPair), imageSize: batch.imageSize }),
      };
      (this.#workers[w] as Worker).postMessage(message);
    });
    const workers = shards.length - 1;
    const first = shards[0] as { start: number; size: number };
    const objective: { terms?: LossTerms; temperatureGradient?: tf.Tensor } = {};
    const tokens = tf.tensor2d(batch.tokens.subarray(0, first.size * contextLength), [first.size, contextLength], 'int32');
    const shard: Shard = images
      ? { imageEmbeddings: tf.tensor2d(images.subarray(0, first.size * dim), [first.size, dim]), tokens, size: first.size }
      : { pixels: tf.tensor4d(batch.pixels.subarray(0, first.size * pixelsPerPair), [first.size, 3, batch.imageSize, batch.imageSize]), tokens, size: first.size };
    let gradients: Map<string, tf.Tensor>;
    try {
      gradients = shardGradients(model.backbone, towerParameters, shard, this.#coordinator(k, batch, options, workers, first.size, objective), options);
      for (let w = 0; w < workers; w++) this.#waitFor(doneIndex(w), k, w, 'gradients');
    } catch (error) {
      signal(state.control, ABORT, k);
      tf.dispose(objective.temperatureGradient);
      throw error;
    } finally {
      tf.dispose([shard.pixels ?? shard.imageEmbeddings, tokens]);
    }
    const summed = new Map<string, tf.Tensor>();
    this.#layout.slots.forEach((slot, i) => {
      const parameter = (model.trainable[i] as readonly [string, Parameter])[1];
      if (parameter === model.temperature) {
        summed.set(slot.name, objective.temperatureGradient ?? tf.zerosLike(parameter.value));
        return;
      }
      const own = gradients.get(slot.name);
      const values = own ? Float32Array.from(own.dataSync() as Float32Array) : new Float32Array(slot.size);
      for (let w = 0; w < workers; w++) {
        const area = state.gradients[w] as Float32Array;
        for (let i = 0; i < slot.size; i++) values[i] = (values[i] as number) + (area[slot.offset + i] as number);
      }
      summed.set(slot.name, tf.tensor(values, slot.shape));
    });
    tf.dispose([...gradients.values()]);
    return { terms: objective.terms as LossTerms, gradients: summed };
  }

  /** Stop the workers and free their models. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(
      this.#workers.map(async (worker) => {
        const closed = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
        worker.postMessage({ type: 'close' } satisfies ToWorker);
        const timer = setTimeout(() => void worker.terminate(), 10_000);
        await closed;
        clearTimeout(timer);
      }),
    );
  }

  /**
   * This thread's exchange: publish its rows, wait for every worker's, compute the whole-batch
   * objective and its gradients, publish them, return its own rows'.
   */
  #coordinator(k: number, batch: TrainingBatch, options: BatchGradientsOptions, workers: number, ownRows: number, out: { terms?: LossTerms; temperatureGradient?: tf.Tensor }): EmbeddingExchange {
    return (ownImage, ownText) => {
      const state = this.#state;
      const dim = state.embedDim;
      state.image.set(ownImage.dataSync() as Float32Array, 0);
      state.text.set(ownText.dataSync() as Float32Array, 0);
      for (let w = 0; w < workers; w++) this.#waitFor(embeddedIndex(w), k, w, 'embeddings');
      const rows = batch.size * dim;
      const image = tf.tensor2d(state.image.slice(0, rows), [batch.size, dim]);
      const text = tf.tensor2d(state.text.slice(0, rows), [batch.size, dim]);
      const head = objectiveHead(image, text, { temperature: this.#model.temperature, imageIds: batch.imageIds, loss: options.loss });
      out.terms = head.terms;
      state.imageGradient.set(head.imageGradient.dataSync() as Float32Array, 0);
      state.textGradient.set(head.textGradient.dataSync() as Float32Array, 0);
      if (head.temperatureGradient) out.temperatureGradient = tf.keep(head.temperatureGradient);
      signal(state.control, GO, k);
      const own = {
        dImage: tf.tensor2d(state.imageGradient.slice(0, ownRows * dim), [ownRows, dim]),
        dText: tf.tensor2d(state.textGradient.slice(0, ownRows * dim), [ownRows, dim]),
      };
      tf.dispose([image, text, head.imageGradient, head.textGradient]);
      return own;
    };
  }

  #waitFor(index: number, k: number, worker: number, what: string): void {
    const state = this.#state;
    waitFor(state.control, index, k, {
      timeoutMs: this.#stallTimeoutMs,
      what: `training worker ${worker + 1}, step ${k}: ${what}`,
      check: () => {
        if (Atomics.load(state.control, failedIndex(worker)) === k) throw new Error(`training worker ${worker + 1} failed at step ${k}: ${readError(state, worker)}`);
      },
    });
  }

  #ensureCapacity(rows: number): void {
    if (rows <= this.#buffers.capacity) return;
    const grown = allocateShared(this.#workers.length, this.#layout.size, rows, this.#buffers.embedDim);
    // Keep control, parameter and gradient areas (workers hold views on them); replace the embeddings.
    this.#buffers = { ...this.#buffers, embeddings: grown.embeddings, capacity: rows };
    this.#state = viewShared(this.#buffers);
    for (const worker of this.#workers) worker.postMessage({ type: 'buffers', buffers: this.#buffers } satisfies ToWorker);
  }
}

/** The whole batch's image embeddings [size · embedDim], encoded in one call on this thread (see `wholeBatchImageEmbeddings`). */
function wholeBatchImages(model: ShardModel, batch: TrainingBatch, parameters: ShardModel['trainable']): Float32Array | undefined {
  const pixels = tf.tensor4d(batch.pixels, [batch.size, 3, batch.imageSize, batch.imageSize]);
  try {
    const images = wholeBatchImageEmbeddings(model.backbone, pixels, parameters);
    if (!images) return undefined;
    const values = images.dataSync() as Float32Array;
    images.dispose();
    return values;
  } finally {
    pixels.dispose();
  }
}

function ready(worker: Worker, index: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: FromWorker): void => {
      if (message.type === 'ready') {
        cleanup();
        resolve();
      } else if (message.type === 'error') {
        cleanup();
        reject(new Error(`training worker ${index + 1} could not start: ${message.message}`));
      }
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(new Error(`training worker ${index + 1} could not start: ${error.message}`));
    };
    const onExit = (code: number): void => {
      cleanup();
      reject(new Error(`training worker ${index + 1} exited (code ${code}) while starting`));
    };
    const cleanup = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}
