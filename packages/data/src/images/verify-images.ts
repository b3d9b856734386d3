import { stat } from 'node:fs/promises';
import path from 'node:path';
import { decodeImage } from './decode-image';
import type { EvalAnnotations } from '../annotations/eval-annotations';
import type { TrainAnnotations } from '../annotations/train-annotations';
import type { MissingImagePolicy } from '../loader/batch-loader';

/** An image that is missing or unreadable, with its full path and why. */
export interface ImageProblem {
  /** The path as the annotations give it. */
  image: string;
  path: string;
  reason: string;
}

export interface VerifyImagesOptions {
  /** `fail` (default) throws listing the problems; `skip` returns them for the caller to drop. */
  policy?: MissingImagePolicy;
  /** Also decode every image (slower; catches corrupt files), not only check that the file exists. */
  decode?: boolean;
  /** Files checked at once (default 8). */
  concurrency?: number;
}

/** Thrown by `verifyImages` under the `fail` policy; lists every problem found. */
export class MissingImagesError extends Error {
  override readonly name = 'MissingImagesError';
  constructor(readonly problems: readonly ImageProblem[]) {
    const shown = problems.slice(0, 5).map((p) => `  ${p.path}: ${p.reason}`);
    super(`${problems.length} image(s) missing or unreadable:\n${shown.join('\n')}${problems.length > 5 ? `\n  … and ${problems.length - 5} more` : ''}`);
  }
}

/**
 * Check that every image of an image root (`train/`, `val/`, `test/` folders of .tif or .jpg) is
 * there, before a long run rather than in the middle of it. Returns the problems under `skip`.
 */
export async function verifyImages(imageRoot: string, images: readonly string[], options: VerifyImagesOptions = {}): Promise<ImageProblem[]> {
  const unique = [...new Set(images)];
  const problems: ImageProblem[] = [];
  let next = 0;
  const check = async (image: string): Promise<void> => {
    const file = path.resolve(imageRoot, image);
    try {
      const info = await stat(file).catch(() => undefined);
      if (info === undefined) throw new Error('no such file');
      if (!info.isFile()) throw new Error('not a file');
      if (options.decode === true) await decodeImage(file);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      problems.push({ image, path: file, reason: message.startsWith(`${file}: `) ? message.slice(file.length + 2) : message });
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(options.concurrency ?? 8, unique.length) }, async () => {
      while (next < unique.length) await check(unique[next++] as string);
    }),
  );
  problems.sort((a, b) => a.path.localeCompare(b.path));
  if (problems.length > 0 && (options.policy ?? 'fail') === 'fail') throw new MissingImagesError(problems);
  return problems;
}

/** The training set without the captions of some images; dense image indices are renumbered. */
export function dropTrainImages(train: TrainAnnotations, images: Iterable<string>): TrainAnnotations {
  const dropped = new Set(images);
  const renumber = new Map<number, number>();
  const kept: string[] = [];
  const captions = train.captions
    .filter((c) => !dropped.has(c.image))
    .map((c) => {
      let index = renumber.get(c.imageIndex);
      if (index === undefined) {
        index = kept.length;
        renumber.set(c.imageIndex, index);
        kept.push(c.image);
      }
      return { ...c, imageIndex: index };
    });
  return { files: train.files, captions, images: kept };
}

/** An evaluation split without some images and their captions; img2txt / txt2img rebuilt. */
export function dropEvalImages(evaluation: EvalAnnotations, images: Iterable<string>): EvalAnnotations {
  const dropped = new Set(images);
  const out: EvalAnnotations = { file: evaluation.file, images: [], captions: [], rawCaptions: [], img2txt: [], txt2img: [], labels: [], labelNames: [] };
  evaluation.images.forEach((image, i) => {
    if (dropped.has(image)) return;
    const imageIndex = out.images.length;
    out.images.push(image);
    out.labels.push(evaluation.labels[i]);
    out.labelNames.push(evaluation.labelNames[i]);
    out.img2txt.push(
      (evaluation.img2txt[i] ?? []).map((t) => {
        out.txt2img.push(imageIndex);
        out.captions.push(evaluation.captions[t] as string);
        out.rawCaptions.push(evaluation.rawCaptions[t] as string);
        return out.captions.length - 1;
      }),
    );
  });
  return out;
}
