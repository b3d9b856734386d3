/**
 * The memory the main thread and the training workers share, and the handshake on it.
 *
 * `control` (Int32) holds step numbers, so that a flag can never be mistaken for last step's:
 * - `go`: the main thread has written the objective's gradients for step k (value k);
 * - `abort`: step k is abandoned (value k), waiting workers give up;
 * - per worker: `embedded` (its embeddings of step k are written), `done` (its gradients are
 *   written), `failed` (step k failed there; the message is in `errors`).
 */
export interface SharedState {
  control: Int32Array;
  /** The trainable parameters' values, written by the main thread before each step. */
  parameters: Float32Array;
  /** One gradient area per worker, the same layout as `parameters`. */
  gradients: Float32Array[];
  /** [capacity, embedDim] each: embeddings of the whole batch and d objective / d embedding. */
  image: Float32Array;
  text: Float32Array;
  imageGradient: Float32Array;
  textGradient: Float32Array;
  /** UTF-8 error message per worker. */
  errors: Uint8Array[];
  /** Rows the embedding areas hold. */
  capacity: number;
  embedDim: number;
}

/** The buffers behind a `SharedState`, as they are posted to a worker. */
export interface SharedBuffers {
  control: SharedArrayBuffer;
  parameters: SharedArrayBuffer;
  gradients: SharedArrayBuffer[];
  embeddings: SharedArrayBuffer;
  errors: SharedArrayBuffer;
  capacity: number;
  embedDim: number;
}

const ERROR_BYTES = 4096;

export const GO = 0;
export const ABORT = 1;
const WORKER_BASE = 2;
const PER_WORKER = 3;

export const embeddedIndex = (worker: number): number => WORKER_BASE + PER_WORKER * worker;
export const doneIndex = (worker: number): number => WORKER_BASE + PER_WORKER * worker + 1;
export const failedIndex = (worker: number): number => WORKER_BASE + PER_WORKER * worker + 2;

export function allocateShared(workers: number, parameterCount: number, capacity: number, embedDim: number): SharedBuffers {
  return {
    control: new SharedArrayBuffer(4 * (WORKER_BASE + PER_WORKER * workers)),
    parameters: new SharedArrayBuffer(4 * Math.max(1, parameterCount)),
    gradients: Array.from({ length: workers }, () => new SharedArrayBuffer(4 * Math.max(1, parameterCount))),
    embeddings: new SharedArrayBuffer(4 * 4 * capacity * embedDim),
    errors: new SharedArrayBuffer(ERROR_BYTES * workers),
    capacity,
    embedDim,
  };
}

export function viewShared(buffers: SharedBuffers): SharedState {
  const area = buffers.capacity * buffers.embedDim;
  const embeddings = (i: number): Float32Array => new Float32Array(buffers.embeddings, 4 * i * area, area);
  const workers = buffers.gradients.length;
  return {
    control: new Int32Array(buffers.control),
    parameters: new Float32Array(buffers.parameters),
    gradients: buffers.gradients.map((buffer) => new Float32Array(buffer)),
    image: embeddings(0),
    text: embeddings(1),
    imageGradient: embeddings(2),
    textGradient: embeddings(3),
    errors: Array.from({ length: workers }, (_, w) => new Uint8Array(buffers.errors, ERROR_BYTES * w, ERROR_BYTES)),
    capacity: buffers.capacity,
    embedDim: buffers.embedDim,
  };
}

/** Set `control[index]` to `value` and wake whoever waits on it. */
export function signal(control: Int32Array, index: number, value: number): void {
  Atomics.store(control, index, value);
  Atomics.notify(control, index);
}

export function writeError(state: SharedState, worker: number, message: string): void {
  const bytes = new TextEncoder().encode(message).subarray(0, ERROR_BYTES - 1);
  const target = state.errors[worker] as Uint8Array;
  target.fill(0);
  target.set(bytes);
}

export function readError(state: SharedState, worker: number): string {
  const bytes = state.errors[worker] as Uint8Array;
  const end = bytes.indexOf(0);
  // Shared memory cannot be decoded directly: copy it out first.
  return new TextDecoder().decode(bytes.slice(0, end < 0 ? bytes.length : end));
}

export interface WaitOptions {
  /** Give up (throw) when `control[index]` holds this value: the wait is pointless. */
  abortIndex?: number;
  abortValue?: number;
  /** Called between short waits; throw from it to stop waiting (a worker reported a failure). */
  check?: () => void;
  /** Longest time without the value arriving, in ms. */
  timeoutMs: number;
  /** What is being waited for, for the timeout message. */
  what: string;
}

/** Block this thread until `control[index] === value` (Atomics.wait in short slices, checking failures). */
export function waitFor(control: Int32Array, index: number, value: number, options: WaitOptions): void {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const current = Atomics.load(control, index);
    if (current === value) return;
    if (options.abortIndex !== undefined && Atomics.load(control, options.abortIndex) === options.abortValue) {
      throw new Error(`${options.what}: the step was abandoned`);
    }
    options.check?.();
    if (Date.now() > deadline) throw new Error(`${options.what}: nothing after ${Math.round(options.timeoutMs / 1000)} s`);
    Atomics.wait(control, index, current, 50);
  }
}
