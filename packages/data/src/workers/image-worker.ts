import { Piscina } from 'piscina';
import sharp from 'sharp';
import { runImageTask, type ImageTask, type ImageTaskResult } from '../images/image-task';
import { checkImageFile, type ImageCheckTask } from '../images/verify-images';

// One libvips thread per worker: the pool already spreads work over the cores.
sharp.concurrency(1);

/** Piscina entry: decode and transform one image; its buffers move back to the loader without a copy. */
export default async function imageTask(task: ImageTask): Promise<ImageTaskResult> {
  const result = await runImageTask(task);
  if ('error' in result) return result;
  const transferables: ArrayBufferLike[] = [result.pixels.buffer];
  if (result.decoded !== undefined) transferables.push(result.decoded.data.buffer);
  return Piscina.move({ [Piscina.transferableSymbol]: transferables, [Piscina.valueSymbol]: result } as never) as unknown as ImageTaskResult;
}

/** Piscina entry `checkImage` (verifyImages): why the file cannot be used, or undefined. */
export function checkImage(task: ImageCheckTask): Promise<string | undefined> {
  return checkImageFile(task);
}
