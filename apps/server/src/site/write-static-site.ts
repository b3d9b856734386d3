import { readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { loadModelEncoder } from '../encoder/load-model-encoder';
import { scanGallery } from '../gallery/scan-gallery';
import { packageRoot, packageVersion } from '../package-files';
import { embedSiteGallery, SITE_GALLERY_DIR, type SkippedSiteFile } from './embed-site-gallery';
import { copySiteFiles, type SiteFile } from './site-file';
import { checkSiteFolder, createStagingFolder, publishStagingFolder } from './site-folder';
import { SITE_FORMAT, SITE_FORMAT_VERSION, SITE_MANIFEST_FILE, type SiteManifest } from './site-manifest';
import { SITE_MODEL_DIR, siteModel, writeSiteModel, type SitePrecision } from './site-model';
import { locateSiteRuntime } from './site-runtime';

/** Where writing a site is; reported at every stage and after every batch of images. */
export interface SiteProgress {
  stage: 'loading-model' | 'scanning' | 'embedding' | 'publishing';
  /** Gallery files looked at, and how many the scan found (0 before it). */
  done: number;
  total: number;
  /** Files left out so far (unreadable or undecodable). */
  skipped: number;
}

export interface StaticSiteOptions {
  /**
   * Model folder written by `harma export`: a Hugging Face CLIP folder, or an export of a backbone
   * transformers has no whole-model class for whose text tower it has (CLIP ResNet).
   */
  model: string;
  /** Folder of images, scanned as `harma serve` scans it (recursively; hidden entries and symbolic links skipped). */
  gallery: string;
  /** The site folder to write: must be new, empty, or a site written earlier (which is replaced). */
  out: string;
  /** Weights of the text graph the page runs: the export's int8 dynamic-quantised graph or the float32 one. Default: 'int8'. */
  precision?: SitePrecision;
  /** Images per vision-graph call. Default: 16 (as `harma serve`). */
  batchSize?: number;
  /** Longest side of the thumbnails, in pixels. Default: 256 (as `harma serve`). */
  thumbnailSize?: number;
  /** Largest image decoded (width × height); larger files are skipped. Default: 40,000,000 (as `harma serve`). */
  maxImagePixels?: number;
  /** ONNX Runtime threads while embedding the gallery. Default: every core. */
  threads?: number;
  /** Title of the page. Default: `<gallery folder name> — HarMA.js search`. */
  title?: string;
  /** Called at every stage and after every batch of images. */
  onProgress?: (progress: SiteProgress) => void;
  /** Stops the run between batches (the partial site is removed; an earlier site stays). */
  signal?: AbortSignal;
  /** Receives the model loader's log lines. Default: none. */
  logger?: Logger;
}

/** What `writeStaticSite` wrote. */
export interface StaticSite {
  /** The site folder (absolute). */
  out: string;
  manifest: SiteManifest;
  /** Gallery files left out, sorted by path, with the reason. */
  skipped: SkippedSiteFile[];
  /** The int8 text graph was quantised here from the export's float32 one (an export made with --no-quantize). */
  quantized: boolean;
  /** Size of the site folder in bytes. */
  bytes: number;
  seconds: number;
}

/** Bytes of every file under `dir`. */
async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    total += entry.isDirectory() ? await folderBytes(file) : (await stat(file)).size;
  }
  return total;
}

/** [rows, dim] float32 as little-endian bytes, whatever the machine's byte order. */
function littleEndianFloats(values: Float32Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((value, i) => view.setFloat32(i * 4, value, true));
  return bytes;
}

function isInside(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * The page's files: `web/site/` of this package (index.html, its scripts, site.css), and the result
 * card and style sheet it shares with the server's page (`web/result-card.js`, `web/style.css`).
 */
async function pageFiles(): Promise<SiteFile[]> {
  const web = path.join(packageRoot(), 'web');
  const own = (await readdir(path.join(web, 'site'))).sort().map((name) => ({ source: path.join(web, 'site', name), target: name }));
  return [...own, ...['result-card.js', 'style.css'].map((name) => ({ source: path.join(web, name), target: name }))];
}

/**
 * Write a static site that searches `gallery` with `model` entirely in the browser: `index.html`
 * and its scripts, the gallery's image embeddings (computed here exactly as `harma serve` indexes,
 * fp32 vision graph on onnxruntime-node) with JPEG thumbnails, the model's text graph
 * (int8 by default; quantised here if the export has no int8 graphs) with config.json — the
 * export's, or for a backbone transformers has no whole-model class for (CLIP ResNet) its text
 * tower's `clip_text_model` config — and the tokenizer, and the runtime — transformers.js's browser
 * build and ONNX Runtime Web's WebAssembly, copied from the installed packages so that the page
 * requests nothing but its own files. Any static file host serves the folder.
 *
 * The site is written into a hidden folder beside `out` and renamed into place when complete: a
 * failed run leaves no half site, and an earlier site at `out` stays until the new one replaces
 * it. Gallery files that cannot be read or decoded are skipped and listed (as the server skips
 * them); a model the browser cannot run fails before any work.
 */
export async function writeStaticSite(options: StaticSiteOptions): Promise<StaticSite> {
  const started = Date.now();
  const gallery = path.resolve(options.gallery);
  const out = path.resolve(options.out);
  const modelDir = path.resolve(options.model);
  const precision = options.precision ?? 'int8';
  const batchSize = options.batchSize ?? 16;
  const thumbnailSize = options.thumbnailSize ?? 256;
  const maxImagePixels = options.maxImagePixels ?? 40_000_000;
  const report = (progress: SiteProgress): void => {
    options.signal?.throwIfAborted();
    options.onProgress?.(progress);
  };

  if (!(await stat(gallery).catch(() => undefined))?.isDirectory()) throw new Error(`gallery folder ${gallery} does not exist or is not a folder`);
  if (isInside(out, gallery)) throw new Error(`output ${out} must not contain the gallery folder ${gallery}`);
  if (isInside(out, modelDir)) throw new Error(`output ${out} must not contain the model folder ${modelDir}`);
  await checkSiteFolder(out);
  const model = await siteModel(modelDir, precision);
  const runtime = locateSiteRuntime();
  const page = await pageFiles();

  report({ stage: 'loading-model', done: 0, total: 0, skipped: 0 });
  const encoder = await loadModelEncoder(modelDir, { engine: 'ort', precision: 'fp32', threads: options.threads, maxBatch: batchSize, logger: options.logger ?? pino({ level: 'silent' }) });
  let staging: string | undefined;
  try {
    if (encoder.embedDim !== model.embedDim) throw new Error(`model ${modelDir}: the vision graph gives ${encoder.embedDim}-dimensional embeddings, config.json says ${model.embedDim}`);
    report({ stage: 'scanning', done: 0, total: 0, skipped: 0 });
    const files = await scanGallery(gallery, { exclude: [out] });
    staging = await createStagingFolder(out);
    const site = staging;
    report({ stage: 'embedding', done: 0, total: files.length, skipped: 0 });
    const embedded = await embedSiteGallery({
      root: gallery,
      files,
      encoder,
      site,
      batchSize,
      maxImagePixels,
      thumbnailSize,
      onProgress: (done, skipped) => report({ stage: 'embedding', done, total: files.length, skipped }),
    });

    report({ stage: 'publishing', done: files.length, total: files.length, skipped: embedded.skipped.length });
    const embeddingsFile = `${SITE_GALLERY_DIR}/embeddings.f32`;
    const manifest: SiteManifest = {
      format: SITE_FORMAT,
      formatVersion: SITE_FORMAT_VERSION,
      producer: { name: '@harma/server', version: packageVersion() },
      createdAt: new Date().toISOString(),
      title: options.title ?? `${path.basename(gallery)} — HarMA.js search`,
      model: { dir: SITE_MODEL_DIR, precision: model.precision, dtype: model.dtype, contextLength: model.contextLength, embedDim: model.embedDim, backbone: model.backbone, parameters: model.parameters },
      runtime: { transformers: runtime.transformers.target, wasm: { mjs: runtime.wasmLoader.target, wasm: runtime.wasmBinary.target }, versions: runtime.versions },
      gallery: {
        images: embedded.images.length,
        skipped: embedded.skipped.length,
        index: `${SITE_GALLERY_DIR}/images.json`,
        embeddings: embeddingsFile,
        thumbnailSize,
      },
      sizes: {},
    };
    await writeFile(path.join(site, SITE_GALLERY_DIR, 'images.json'), JSON.stringify({ images: embedded.images }));
    await writeFile(path.join(site, ...embeddingsFile.split('/')), littleEndianFloats(embedded.embeddings));
    await copySiteFiles(site, [...page, ...model.files, runtime.transformers, runtime.wasmLoader, runtime.wasmBinary]);
    await writeSiteModel(site, model);
    for (const file of [embeddingsFile, runtime.wasmBinary.target, model.graph.target]) manifest.sizes[file] = (await stat(path.join(site, ...file.split('/')))).size;
    await writeFile(path.join(site, SITE_MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    const bytes = await folderBytes(site);
    await publishStagingFolder(site, out);
    staging = undefined;
    return { out, manifest, skipped: embedded.skipped, quantized: model.graph.quantize, bytes, seconds: (Date.now() - started) / 1000 };
  } finally {
    await encoder.close();
    if (staging !== undefined) await rm(staging, { recursive: true, force: true });
  }
}
