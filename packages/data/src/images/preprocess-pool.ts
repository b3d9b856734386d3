import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { ImagePreprocessSpec } from '@harma/core';
import { builtWorkerScript } from '../workers/worker-script';
import { ImageDecodeError } from './image-decode-error';
import type { PreprocessedImage, PreprocessOptions } from './preprocess-image';
import { runPreprocessTask, type PreprocessTask, type PreprocessTaskResult } from './preprocess-task';

export interface PreprocessPoolOptions {
  /** Worker threads (0 = this thread). Default: cores − 1, at least 1 and at most 4. */
  threads?: number;
  /** The worker entry file (default: the built `dist/workers/preprocess-worker.js`). */
  workerScript?: string;
}

/** The default thread count: leave a core to the caller's event loop and model, use a few at most. */
export function defaultPreprocessThreads(): number {
  return Math.min(4, Math.max(1, availableParallelism() - 1));
}

/**
 * Decode, resize and normalise images (`preprocessImage` with the decoded size and format) in
 * worker threads, so that a large image — say 40,000,000 × 1 pixels at a server's limit, seconds of
 * work — never blocks the caller's event loop. Results equal `preprocessImage`'s bit for bit;
 * unreadable images reject with an `ImageDecodeError` as `decodeImage` does. Threads start with the
 * first image; `close()` stops them. Running from sources (no built worker entry) it works in this
 * thread.
 */
export class PreprocessPool {
  /** Worker threads in use (0 when the work runs in this thread). */
  readonly threads: number;
  readonly #workerScript: string | undefined;
  #pool: Piscina | undefined;
  #closed = false;

  constructor(options: PreprocessPoolOptions = {}) {
    const requested = options.threads ?? defaultPreprocessThreads();
    if (!Number.isInteger(requested) || requested < 0) throw new RangeError(`threads must be a non-negative integer, got ${requested}`);
    this.#workerScript = options.workerScript ?? builtWorkerScript('preprocess-worker');
    if (requested > 0 && this.#workerScript === undefined && options.threads !== undefined) {
      throw new Error('PreprocessPool: threads need the built worker (dist/workers/preprocess-worker.js): build @harma/data, pass workerScript, or threads: 0');
    }
    this.threads = this.#workerScript === undefined ? 0 : requested;
  }

  /** Decode `source` (a path or encoded bytes), resize it per `spec` and normalise it. */
  async preprocess(source: string | Uint8Array, spec: ImagePreprocessSpec, options: PreprocessOptions = {}): Promise<PreprocessedImage> {
    if (this.#closed) throw new Error('PreprocessPool: closed');
    const task: PreprocessTask = { source, spec, maxPixels: options.maxPixels, name: options.name, resizer: options.resizer };
    const result: PreprocessTaskResult = this.threads > 0 ? ((await this.#workers().run(task)) as PreprocessTaskResult) : await runPreprocessTask(task);
    if ('error' in result) throw new ImageDecodeError(result.error.source, result.error.reason);
    return result;
  }

  /** Stop the worker threads; images still queued reject. */
  async close(): Promise<void> {
    this.#closed = true;
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.destroy();
  }

  #workers(): Piscina {
    this.#pool ??= new Piscina({ filename: this.#workerScript as string, minThreads: this.threads, maxThreads: this.threads, idleTimeout: 60_000 });
    return this.#pool;
  }
}
