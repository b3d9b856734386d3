import type { EmbeddingEncoder } from '@harma/inference';

/** Thrown inside a run when its stop signal fires during an evaluation, which is then abandoned (the state saved before it stays). */
export class RunInterrupted extends Error {
  override readonly name = 'RunInterrupted';
  constructor() {
    super('the run was asked to stop');
  }
}

/**
 * Let pending events run — a signal handler among them — before going on. Steps compute
 * synchronously and a prefetched batch resolves as a microtask, so without this a run could go
 * from step to step and never hear that it was asked to stop.
 */
export function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Whether `signal` asks to stop, after letting pending events run. */
export async function stopRequested(signal: AbortSignal | undefined): Promise<boolean> {
  if (signal === undefined) return false;
  await yieldToEvents();
  return signal.aborted;
}

/** `encoder`, abandoned with `RunInterrupted` at the next batch once `signal` asks to stop. */
export function interruptibleEncoder(encoder: EmbeddingEncoder, signal: AbortSignal | undefined): EmbeddingEncoder {
  if (signal === undefined) return encoder;
  const check = async (): Promise<void> => {
    if (await stopRequested(signal)) throw new RunInterrupted();
  };
  return {
    embedDim: encoder.embedDim,
    encodeImages: async (pixels, count) => {
      await check();
      return encoder.encodeImages(pixels, count);
    },
    encodeTexts: async (ids, count) => {
      await check();
      return encoder.encodeTexts(ids, count);
    },
  };
}
