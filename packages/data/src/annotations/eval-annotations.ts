import { AnnotationError, fieldName } from './annotation-error';
import { readJsonFile } from './json-file';
import { evalEntrySchema } from './schema';
import { normalizeEntryCaption, type ReadAnnotationOptions } from './train-annotations';

/** An evaluation split: images in file order, their captions flattened, and the ground truth maps. */
export interface EvalAnnotations {
  file: string;
  /** Image path of each image index (one per entry, even if a path repeats, as the paper). */
  images: string[];
  /** Every caption after normalisation, image by image in file order. */
  captions: string[];
  /** The captions as written in the file. */
  rawCaptions: string[];
  /** Caption indices of each image. */
  img2txt: number[][];
  /** Image index of each caption. */
  txt2img: number[];
  /** Class label and name of each image, where the file gives them. */
  labels: Array<number | undefined>;
  labelNames: Array<string | undefined>;
}

/**
 * Validate parsed evaluation JSON and build `img2txt` / `txt2img` exactly like the paper's
 * `re_eval_dataset`: image i is entry i; captions are numbered consecutively in file order.
 */
export function buildEvalAnnotations(json: unknown, file: string, options: ReadAnnotationOptions = {}): EvalAnnotations {
  if (!Array.isArray(json)) throw new AnnotationError({ file }, `expected a JSON array of image entries, got ${json === null ? 'null' : typeof json}`);
  const result: EvalAnnotations = { file, images: [], captions: [], rawCaptions: [], img2txt: [], txt2img: [], labels: [], labelNames: [] };
  json.forEach((value: unknown, imageIndex) => {
    const parsed = evalEntrySchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new AnnotationError({ file, entry: imageIndex, field: issue === undefined ? undefined : fieldName(issue.path) }, issue?.message ?? 'invalid entry');
    }
    const entry = parsed.data;
    result.images.push(entry.image);
    result.labels.push(entry.label);
    result.labelNames.push(entry.label_name);
    const indices: number[] = [];
    entry.caption.forEach((raw, k) => {
      indices.push(result.captions.length);
      result.txt2img.push(imageIndex);
      result.rawCaptions.push(raw);
      result.captions.push(normalizeEntryCaption(raw, { file, entry: imageIndex, field: `caption[${k}]` }, options));
    });
    result.img2txt.push(indices);
  });
  return result;
}

/** Read an evaluation annotation file (validation or test split). */
export async function readEvalAnnotations(file: string, options: ReadAnnotationOptions = {}): Promise<EvalAnnotations> {
  return buildEvalAnnotations(await readJsonFile(file), file, options);
}
