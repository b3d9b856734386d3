import { decodeImage } from './decode-image';
import type { RgbImage } from './rgb-image';
import { transformImage, type ImageTransformSpec } from './transforms';

/** One image for the loader to prepare (plain data: it crosses to worker threads). */
export interface ImageTask {
  /** Absolute path of the image file. */
  path: string;
  /** The decoded image when the loader's cache already holds it. */
  decoded?: RgbImage;
  spec: ImageTransformSpec;
  /** The sample's random stream (`<seed>/epoch<e>/sample<i>`). */
  seed: string;
  /** Send the decoded image back, for the loader's cache. */
  returnDecoded: boolean;
  maxPixels?: number;
}

/** The prepared image, or why its file could not be read (decided by the loader's policy). */
export type ImageTaskResult = { pixels: Float32Array; decoded?: RgbImage } | { error: string };

/** Decode (unless cached) and transform one image; unreadable files come back as `{ error }` naming the path. */
export async function runImageTask(task: ImageTask): Promise<ImageTaskResult> {
  let decoded: RgbImage;
  if (task.decoded !== undefined) {
    decoded = task.decoded;
  } else {
    try {
      const image = await decodeImage(task.path, task.maxPixels === undefined ? {} : { maxPixels: task.maxPixels });
      decoded = { data: image.data, width: image.width, height: image.height };
    } catch (error) {
      return { error: error instanceof Error ? error.message : `${task.path}: ${String(error)}` };
    }
  }
  const pixels = transformImage(decoded, task.spec, task.seed);
  return task.returnDecoded && task.decoded === undefined ? { pixels, decoded } : { pixels };
}
