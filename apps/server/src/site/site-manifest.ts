import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** The file at a site's root that describes it; the page reads it first. */
export const SITE_MANIFEST_FILE = 'site.json';
export const SITE_FORMAT = 'harma-site';
export const SITE_FORMAT_VERSION = 1;

/** One gallery image of a site, in the order of the rows of the embeddings file. */
export interface SiteImage {
  /** Relative to the gallery folder, `/`-separated (the page's `data-path`). */
  path: string;
  /** The JPEG thumbnail, relative to the site folder. */
  thumbnail: string;
  /** Size of the original image. */
  width: number;
  height: number;
}

/**
 * `site.json`: what the page loads and how. Paths are relative to the site folder. The
 * embeddings file holds `images × embedDim` little-endian float32 values, row i for
 * `gallery.index`'s image i, L2-normalised; a query's score is its inner product with a row.
 */
export interface SiteManifest {
  format: typeof SITE_FORMAT;
  formatVersion: typeof SITE_FORMAT_VERSION;
  producer: { name: string; version: string };
  createdAt: string;
  /** The page's title. */
  title: string;
  model: {
    /**
     * Folder with config.json, tokenizer.json, tokenizer_config.json and onnx/<text graph>. The
     * config is the export's CLIP config (`model_type: "clip"`), or for a backbone transformers has
     * no whole-model class for (CLIP ResNet) its text tower's own (`model_type: "clip_text_model"`).
     */
    dir: string;
    precision: 'int8' | 'fp32';
    dtype: 'q8' | 'fp32';
    contextLength: number;
    embedDim: number;
    backbone: string;
    parameters: number;
  };
  runtime: {
    transformers: string;
    wasm: { mjs: string; wasm: string };
    versions: { transformers: string; onnxruntimeWeb: string };
  };
  gallery: {
    images: number;
    /** Files the scan found that could not be read or decoded (left out of the site). */
    skipped: number;
    /** JSON `{ "images": SiteImage[] }`. */
    index: string;
    embeddings: string;
    thumbnailSize: number;
  };
  /** Bytes of the large files the page downloads (embeddings, WebAssembly binary, text graph), for its progress bar. */
  sizes: Record<string, number>;
}

/** True when `dir` holds a site written by `writeStaticSite` (its `site.json` names the format). */
export async function isStaticSite(dir: string): Promise<boolean> {
  try {
    const json = JSON.parse(await readFile(path.join(dir, SITE_MANIFEST_FILE), 'utf8')) as { format?: unknown };
    return json.format === SITE_FORMAT;
  } catch {
    return false;
  }
}
