import { Piscina } from 'piscina';
import sharp from 'sharp';
import { runPreprocessTask, type PreprocessTask, type PreprocessTaskResult } from '../images/preprocess-task';

// One libvips thread per worker: the pool already spreads work over the cores.
sharp.concurrency(1);

/** Piscina entry: decode, resize and normalise one image; the pixels move back without a copy. */
export default async function preprocessTask(task: PreprocessTask): Promise<PreprocessTaskResult> {
  const result = await runPreprocessTask(task);
  if ('error' in result) return result;
  return Piscina.move({ [Piscina.transferableSymbol]: [result.pixels.buffer], [Piscina.valueSymbol]: result } as never) as unknown as PreprocessTaskResult;
}
