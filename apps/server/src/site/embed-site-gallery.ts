import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { PreparedImage, ServerEncoder } from '../encoder/server-encoder';
import { sha256 } from '../gallery/index-gallery';
import { readGalleryFile } from '../gallery/read-gallery-file';
import type { GalleryFile } from '../gallery/scan-gallery';
import { renderThumbnail } from '../gallery/thumbnails';
import type { SiteImage } from './site-manifest';

/** A gallery file left out of a site, and why. */
export interface SkippedSiteFile {
  path: string;
  reason: string;
}

export interface EmbedSiteGalleryOptions {
  /** The gallery folder and the files its scan found. */
  root: string;
  files: readonly GalleryFile[];
  encoder: ServerEncoder;
  /** The site folder being written: thumbnails go to `<site>/gallery/thumbnails/`. */
  site: string;
  batchSize: number;
  maxImagePixels: number;
  thumbnailSize: number;
  onProgress: (done: number, skipped: number) => void;
}

/** The embedded gallery: images in scan order, their embeddings row by row, and what was left out. */
export interface SiteGallery {
  images: SiteImage[];
  /** [images.length, embedDim] row-major, L2-normalised. */
  embeddings: Float32Array;
  skipped: SkippedSiteFile[];
}

/** Folder of the site that holds the gallery's index, embeddings and thumbnails. */
export const SITE_GALLERY_DIR = 'gallery';

/**
 * Embed every gallery file exactly as `harma serve` indexes it (the server encoder's
 * `prepareImage` — decoding with the pixel limit, the export's resize and normalisation — and its
 * vision graph, fp32) and write a JPEG thumbnail of each, named by the image's content hash so
 * that copies share one. Works in batches of `batchSize`. Files that cannot be read or decoded are
 * skipped and listed, as the server skips them: one broken file in an archive does not stop the
 * site, and the site holds exactly the images the server would search.
 */
export async function embedSiteGallery(options: EmbedSiteGalleryOptions): Promise<SiteGallery> {
  const { encoder } = options;
  const thumbnailDir = path.join(options.site, SITE_GALLERY_DIR, 'thumbnails');
  await mkdir(thumbnailDir, { recursive: true });
  const written = new Set<string>();
  const images: SiteImage[] = [];
  const rows: Float32Array[] = [];
  const skipped: SkippedSiteFile[] = [];
  for (let start = 0; start < options.files.length; start += options.batchSize) {
    const batch = options.files.slice(start, start + options.batchSize);
    const prepared = await Promise.all(
      batch.map(async (file): Promise<{ image: SiteImage; pixels: PreparedImage } | undefined> => {
        const read = await readGalleryFile(options.root, file);
        if (read.kind === 'gone') return undefined; // removed since the scan: not part of the gallery any more
        if (read.kind === 'skipped') {
          skipped.push({ path: file.path, reason: read.reason });
          return undefined;
        }
        try {
          const pixels = await encoder.prepareImage(read.bytes, { name: file.path, maxPixels: options.maxImagePixels });
          const thumbnail = `${SITE_GALLERY_DIR}/thumbnails/${sha256(read.bytes).slice(0, 24)}.jpg`;
          if (!written.has(thumbnail)) {
            written.add(thumbnail);
            await writeFile(path.join(options.site, ...thumbnail.split('/')), await renderThumbnail(read.bytes, { size: options.thumbnailSize, maxPixels: options.maxImagePixels }));
          }
          return { image: { path: file.path, thumbnail, width: pixels.width, height: pixels.height }, pixels };
        } catch (error) {
          skipped.push({ path: file.path, reason: error instanceof Error ? error.message : String(error) });
          return undefined;
        }
      }),
    );
    const ready = prepared.filter((entry) => entry !== undefined);
    const embeddings = ready.length === 0 ? [] : await encoder.encodeImages(ready.map((entry) => entry.pixels));
    ready.forEach((entry, i) => {
      images.push(entry.image);
      rows.push(embeddings[i] as Float32Array);
    });
    options.onProgress(start + batch.length, skipped.length);
  }
  const embeddings = new Float32Array(rows.length * encoder.embedDim);
  rows.forEach((row, i) => embeddings.set(row, i * encoder.embedDim));
  skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { images, embeddings, skipped };
}
