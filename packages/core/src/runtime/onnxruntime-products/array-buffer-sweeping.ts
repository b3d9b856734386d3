import v8 from 'node:v8';
import { environmentChoice } from '../environment-choice';

/** Where V8 frees the memory of ArrayBuffers the garbage collector found dead. */
export const ARRAY_BUFFER_SWEEPINGS = ['foreground', 'background'] as const;
export type ArrayBufferSweeping = (typeof ARRAY_BUFFER_SWEEPINGS)[number];

/** The V8 flag that stands for each choice (V8's own default is `background`). */
const ARRAY_BUFFER_SWEEPING_FLAGS: Readonly<Record<ArrayBufferSweeping, string>> = {
  foreground: '--no-concurrent-array-buffer-sweeping',
  background: '--concurrent-array-buffer-sweeping',
};

/** `HARMA_ARRAY_BUFFER_SWEEPING`'s value, or undefined when unset; a clear error for anything else. */
export function parseArrayBufferSweeping(value: string | undefined): ArrayBufferSweeping | undefined {
  return environmentChoice('HARMA_ARRAY_BUFFER_SWEEPING', value, ARRAY_BUFFER_SWEEPINGS, { noun: 'a choice', note: ' (default: foreground)' });
}

/**
 * Set where V8 frees dead ArrayBuffers, for the whole process (worker threads included).
 *
 * onnxruntime-node's native `run` (1.30 and 1.31) returns every output as a fresh ArrayBuffer
 * copy, even an output it wrote in place: about 2.9 GiB of short-lived buffers per ViT-B/32 step at
 * batch 16. By default V8 frees them on background threads, which on a machine whose cores all run
 * training engines costs more than it saves: on 2 cores a batch-32 step took 9.0–9.4 s that way
 * and 6.8–7.4 s with `foreground` (freed by the thread that made them, during its collections).
 * V8 reads the flag at every sweep, so changing it after start-up takes effect at once.
 */
export function setArrayBufferSweeping(where: ArrayBufferSweeping): void {
  v8.setFlagsFromString(ARRAY_BUFFER_SWEEPING_FLAGS[where]);
}
