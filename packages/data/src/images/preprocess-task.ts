import type { ImagePreprocessSpec } from '@harma/core';
import { decodeImage } from './decode-image';
import { ImageDecodeError } from './image-decode-error';
import { preprocessDecoded, type PreprocessedImage, type Resizer } from './preprocess-image';

/** One image to preprocess (plain data: it crosses to worker threads). */
export interface PreprocessTask {
  /** A file path or the encoded bytes. */
  source: string | Uint8Array;
  spec: ImagePreprocessSpec;
  /** Passed to `decodeImage`. Default: its default. */
  maxPixels?: number;
  /** Name for error messages when the source is bytes. */
  name?: string;
  resizer?: Resizer;
}

/** The preprocessed image, or why it could not be read (an `ImageDecodeError`'s parts, rebuilt by the caller). */
export type PreprocessTaskResult = PreprocessedImage | { error: { source: string; reason: string } };

/** Decode, resize per the spec and normalise one image; an unreadable image comes back as `{ error }`, anything else throws. */
export async function runPreprocessTask(task: PreprocessTask): Promise<PreprocessTaskResult> {
  try {
    const decoded = await decodeImage(task.source, { maxPixels: task.maxPixels, name: task.name });
    return await preprocessDecoded(decoded, task.spec, { maxPixels: task.maxPixels, name: typeof task.source === 'string' ? task.source : task.name, resizer: task.resizer });
  } catch (error) {
    if (error instanceof ImageDecodeError) return { error: { source: error.source, reason: error.reason } };
    throw error;
  }
}
