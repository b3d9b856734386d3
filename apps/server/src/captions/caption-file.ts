import { promises as fs } from 'node:fs';
import { buildEvalAnnotations, buildTrainAnnotations, normalizeCaption } from '@harma/data';

/** One caption of the caption gallery. */
export interface CaptionEntry {
  /** The caption as written in the file (what the API returns). */
  text: string;
  /** The caption as embedded: normalised like the paper's captions (lower case, punctuation removed, at most 30 words). */
  normalized: string;
  /** Images the annotation file pairs it with (empty for plain caption lists). */
  images: string[];
}

function fail(file: string, message: string): never {
  throw new Error(`caption file ${file}: ${message}`);
}

/**
 * Read a caption gallery file. Accepted: an evaluation annotation JSON (RSITMD/RSICD test layout,
 * `[{ "image", "caption": [...] }]`), a training annotation JSON (`[{ "caption", "image", "image_id" }]`),
 * a JSON array of strings, or any other file as UTF-8 text with one caption per line (blank lines
 * ignored). Captions equal after normalisation are merged, keeping every image they describe.
 */
export async function readCaptionFile(file: string): Promise<CaptionEntry[]> {
  const text = await fs.readFile(file, 'utf8').catch((error: unknown) => fail(file, `cannot be read (${error instanceof Error ? error.message : String(error)})`));
  let pairs: Array<{ text: string; normalized: string; image?: string }>;
  if (file.toLowerCase().endsWith('.json')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      fail(file, `is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    if (!Array.isArray(json)) fail(file, 'must hold a JSON array (annotation entries or caption strings)');
    const first: unknown = json[0];
    if (typeof first === 'string' || json.length === 0) {
      pairs = json.map((value: unknown, index) => {
        if (typeof value !== 'string') fail(file, `entry ${index}: expected a caption string like entry 0, got ${typeof value}`);
        return { text: value, normalized: normalize(file, index, value) };
      });
    } else if (typeof first === 'object' && first !== null && Array.isArray((first as { caption?: unknown }).caption)) {
      const annotations = buildEvalAnnotations(json, file);
      pairs = annotations.captions.map((normalized, index) => ({ text: annotations.rawCaptions[index] as string, normalized, image: annotations.images[annotations.txt2img[index] as number] }));
    } else {
      const annotations = buildTrainAnnotations([[file, json]], { imageKey: 'image' });
      pairs = annotations.captions.map((caption) => ({ text: caption.raw, normalized: caption.caption, image: caption.image }));
    }
  } else {
    pairs = text
      .split(/\r?\n/)
      .map((line, index) => ({ line: line.trim(), index }))
      .filter(({ line }) => line.length > 0)
      .map(({ line, index }) => ({ text: line, normalized: normalize(file, index, line) }));
  }
  if (pairs.length === 0) fail(file, 'holds no captions');
  const merged = new Map<string, CaptionEntry>();
  for (const pair of pairs) {
    const entry = merged.get(pair.normalized) ?? { text: pair.text, normalized: pair.normalized, images: [] };
    if (pair.image !== undefined && !entry.images.includes(pair.image)) entry.images.push(pair.image);
    merged.set(pair.normalized, entry);
  }
  return [...merged.values()];
}

function normalize(file: string, index: number, caption: string): string {
  try {
    return normalizeCaption(caption);
  } catch (error) {
    return fail(file, `caption ${index + 1}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
