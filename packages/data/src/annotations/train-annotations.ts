import { CaptionError, normalizeCaption } from '../captions/normalize-caption';
import { AnnotationError, fieldName } from './annotation-error';
import { readJsonFile } from './json-file';
import { trainEntrySchema, type TrainEntry } from './schema';

/** One training caption, normalised, with the dense image index the losses use as `idx`. */
export interface TrainCaption {
  /** The caption after the paper's normalisation. */
  caption: string;
  /** The caption as written in the file. */
  raw: string;
  /** Image path relative to the image root (`train/bridge_942.tif`). */
  image: string;
  /** The file's `image_id`. */
  imageId: number | string;
  /** Dense image index, 0.. in order of first appearance over the concatenated files (the paper's `img_ids`). */
  imageIndex: number;
  label?: number;
  labelName?: string;
  /** Which file and entry the caption came from, for messages. */
  file: string;
  entry: number;
}

export interface TrainAnnotations {
  files: string[];
  /** Every caption in file order, files concatenated in the order given. */
  captions: TrainCaption[];
  /** Image path of each dense image index. */
  images: string[];
}

export interface ReadAnnotationOptions {
  /** Words kept per caption (default 30, the paper's `max_words`). */
  maxWords?: number;
}

export interface ReadTrainOptions extends ReadAnnotationOptions {
  /**
   * What identifies an image across the concatenated files (default `image_id`, as the paper).
   * An `image_id` naming two different image paths is an error; with `image` the path is the key,
   * which is what concatenating data sets with overlapping ids needs.
   */
  imageKey?: 'image_id' | 'image';
}

/** Validate parsed training JSON (an array of caption entries) from one file. */
export function parseTrainEntries(json: unknown, file: string, options: ReadAnnotationOptions = {}): Array<{ entry: TrainEntry; caption: string }> {
  if (!Array.isArray(json)) throw new AnnotationError({ file }, `expected a JSON array of caption entries, got ${describe(json)}`);
  return json.map((value, index) => {
    const parsed = trainEntrySchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new AnnotationError({ file, entry: index, field: issue === undefined ? undefined : fieldName(issue.path) }, issue?.message ?? 'invalid entry');
    }
    return { entry: parsed.data, caption: normalizeEntryCaption(parsed.data.caption, { file, entry: index, field: 'caption' }, options) };
  });
}

/**
 * Build the training set from already-parsed files (`[file, json]` pairs, concatenated in order),
 * assigning dense image indices by first appearance exactly like the paper's `re_train_dataset`.
 */
export function buildTrainAnnotations(sources: ReadonlyArray<readonly [string, unknown]>, options: ReadTrainOptions = {}): TrainAnnotations {
  const imageKey = options.imageKey ?? 'image_id';
  const indexByKey = new Map<string, { index: number; image: string; file: string; entry: number }>();
  const images: string[] = [];
  const captions: TrainCaption[] = [];
  for (const [file, json] of sources) {
    parseTrainEntries(json, file, options).forEach(({ entry, caption }, index) => {
      // JSON keeps 5 and "5" apart, as Python's dict does.
      const key = imageKey === 'image' ? entry.image : `${typeof entry.image_id}:${entry.image_id}`;
      let known = indexByKey.get(key);
      if (known === undefined) {
        known = { index: images.length, image: entry.image, file, entry: index };
        indexByKey.set(key, known);
        images.push(entry.image);
      } else if (known.image !== entry.image) {
        throw new AnnotationError(
          { file, entry: index, field: 'image_id' },
          `image_id ${JSON.stringify(entry.image_id)} names "${entry.image}" here but "${known.image}" in ${known.file} entry ${known.entry}; ` +
            `to identify images by their path instead, pass the option imageKey: 'image' (in a harma run config: data.imageKey: image)`,
        );
      }
      captions.push({
        caption,
        raw: entry.caption,
        image: entry.image,
        imageId: entry.image_id,
        imageIndex: known.index,
        ...(entry.label === undefined ? {} : { label: entry.label }),
        ...(entry.label_name === undefined ? {} : { labelName: entry.label_name }),
        file,
        entry: index,
      });
    });
  }
  return { files: sources.map(([file]) => file), captions, images };
}

/** Read one or several training annotation files (concatenated in the order given). */
export async function readTrainAnnotations(files: string | readonly string[], options: ReadTrainOptions = {}): Promise<TrainAnnotations> {
  const list = typeof files === 'string' ? [files] : [...files];
  if (list.length === 0) throw new RangeError('readTrainAnnotations: no annotation file given');
  const sources = await Promise.all(list.map(async (file) => [file, await readJsonFile(file)] as const));
  return buildTrainAnnotations(sources, options);
}

export function normalizeEntryCaption(text: string, location: { file: string; entry: number; field: string }, options: ReadAnnotationOptions): string {
  try {
    return normalizeCaption(text, options);
  } catch (error) {
    if (error instanceof CaptionError) throw new AnnotationError(location, error.message);
    throw error;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value;
}
