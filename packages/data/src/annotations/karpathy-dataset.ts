import { z } from 'zod';
import { SeededRandom } from '@harma/core';
import { AnnotationError, fieldName } from './annotation-error';
import { readJsonFile } from './json-file';
import type { EvalEntry, TrainEntry } from './schema';

const sentenceSchema = z.object({ raw: z.string() }).passthrough();

const imageSchema = z
  .object({
    filename: z.string().min(1, 'must be a non-empty file name'),
    /** A folder the file sits in (COCO's `train2014`), joined before `filename` when present. */
    filepath: z.string().optional(),
    split: z.string(),
    sentences: z.array(sentenceSchema).min(1, 'must list at least one sentence'),
    imgid: z.union([z.number().int(), z.string().min(1)]).optional(),
  })
  .passthrough();

const datasetSchema = z.object({ images: z.array(z.unknown()), dataset: z.string().optional() }).passthrough();

/** The HarMA/PIR annotation files a one-file caption data set splits into. */
export interface SplitAnnotationFiles {
  /** Lower-case name for the files (`rsitmd`): the file's `dataset` field, else its name without `dataset_`. */
  name: string;
  /** One entry per caption (`caption`, `image`, `image_id`), as `readTrainAnnotations` reads. */
  train: TrainEntry[];
  /** One entry per image (`image`, `caption: [...]`), as `readEvalAnnotations` reads. */
  val: EvalEntry[];
  test: EvalEntry[];
}

export interface SplitCaptionDatasetOptions {
  /**
   * Images taken from the training split for validation when the file has no `val` split (many
   * releases have only train and test): drawn at random with `seed`. Default: none — a file
   * without `val` is then an error saying to set this.
   */
  valImages?: number;
  /** Seed of that draw. Default: 0. */
  seed?: number | string;
}

/**
 * Split a caption data set in the one-file layout of RSITMD's `dataset_RSITMD.json` and RSICD's
 * `dataset_rsicd.json` (Karpathy's: `{ images: [{ filename, split, sentences: [{ raw }], imgid }] }`)
 * into the three HarMA/PIR annotation files this package and the trainer read. Image paths stay
 * relative to the image folder the file describes (`filepath/filename`); `split: restval` counts
 * as training (COCO's convention); the captions are kept as written (they are normalised when read).
 */
export function splitCaptionDataset(json: unknown, file: string, options: SplitCaptionDatasetOptions = {}): SplitAnnotationFiles {
  const parsed = datasetSchema.safeParse(json);
  if (!parsed.success) throw new AnnotationError({ file }, 'expected an object with an "images" list (the dataset_*.json layout of RSITMD and RSICD)');
  const images = parsed.data.images.map((value, index) => {
    const image = imageSchema.safeParse(value);
    if (!image.success) {
      const issue = image.error.issues[0];
      throw new AnnotationError({ file, field: issue === undefined ? `images[${index}]` : `images[${index}].${fieldName(issue.path)}` }, issue?.message ?? 'invalid image entry');
    }
    return { ...image.data, index };
  });
  const pathOf = (image: (typeof images)[number]): string => (image.filepath ? `${image.filepath.replace(/\/+$/, '')}/${image.filename}` : image.filename);
  const bySplit = (names: readonly string[]): typeof images => images.filter((image) => names.includes(image.split));
  let train = bySplit(['train', 'restval']);
  let val = bySplit(['val']);
  const test = bySplit(['test']);
  if (test.length === 0) throw new AnnotationError({ file }, 'no image has split "test"');
  if (val.length === 0) {
    const wanted = options.valImages ?? 0;
    if (!Number.isInteger(wanted) || wanted < 0) throw new RangeError(`valImages must be a non-negative integer, got ${wanted}`);
    if (wanted === 0) throw new AnnotationError({ file }, `no image has split "val": choose how many training images validate (valImages; harma split-annotations --val <n>)`);
    if (wanted >= train.length) throw new AnnotationError({ file }, `valImages ${wanted} leaves no training image (the file has ${train.length})`);
    const chosen = new Set(new SeededRandom(`${options.seed ?? 0}/val`).permutation(train.length).slice(0, wanted));
    val = train.filter((_, i) => chosen.has(i));
    train = train.filter((_, i) => !chosen.has(i));
  }
  const evalEntries = (split: typeof images): EvalEntry[] => split.map((image) => ({ image: pathOf(image), caption: image.sentences.map((s) => s.raw) }));
  const name = (parsed.data.dataset ?? file.replace(/^.*[\\/]/, '').replace(/\.json$/i, '').replace(/^dataset_/i, '')).toLowerCase();
  return {
    name,
    train: train.flatMap((image) => image.sentences.map((s) => ({ caption: s.raw, image: pathOf(image), image_id: image.imgid ?? image.index }))),
    val: evalEntries(val),
    test: evalEntries(test),
  };
}

/** Read a `dataset_*.json` file and split it (see `splitCaptionDataset`). */
export async function readCaptionDataset(file: string, options: SplitCaptionDatasetOptions = {}): Promise<SplitAnnotationFiles> {
  return splitCaptionDataset(await readJsonFile(file), file, options);
}
