import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { ServerEncoder } from '../encoder/server-encoder';
import type { GalleryStore } from '../store/gallery-store';
import type { CaptionEntry } from './caption-file';
import { hostTopK } from '@harma/metrics';

/** A caption search hit. */
export interface CaptionHit {
  /** Position of the caption in the caption gallery. */
  index: number;
  text: string;
  images: string[];
  score: number;
}

function captionKey(normalized: string): string {
  return createHash('sha256').update(normalized).digest('hex');
}

/**
 * The captions image queries are matched against, embedded once and searched exactly (a flat scan:
 * caption sets are thousands, not millions). Embeddings are cached in the index database, so a
 * restart embeds only captions it has not seen with this model.
 */
export class CaptionGallery {
  readonly entries: readonly CaptionEntry[];
  private readonly matrix: Float32Array;
  private readonly dim: number;

  private constructor(entries: readonly CaptionEntry[], matrix: Float32Array, dim: number) {
    this.entries = entries;
    this.matrix = matrix;
    this.dim = dim;
  }

  static empty(dim: number): CaptionGallery {
    return new CaptionGallery([], new Float32Array(0), dim);
  }

  static async build(entries: readonly CaptionEntry[], encoder: ServerEncoder, cache: Pick<GalleryStore, 'cachedCaptionVector' | 'cacheCaptionVectors'>, options: { batchSize: number; logger: Logger }): Promise<CaptionGallery> {
    const dim = encoder.embedDim;
    const matrix = new Float32Array(entries.length * dim);
    const missing: number[] = [];
    for (const [index, entry] of entries.entries()) {
      const cached = await cache.cachedCaptionVector(captionKey(entry.normalized));
      if (cached !== undefined && cached.length === dim) matrix.set(cached, index * dim);
      else missing.push(index);
    }
    const started = Date.now();
    for (let start = 0; start < missing.length; start += options.batchSize) {
      const rows = missing.slice(start, start + options.batchSize);
      const vectors = await encoder.encodeTexts(rows.map((row) => (entries[row] as CaptionEntry).normalized));
      rows.forEach((row, i) => matrix.set(vectors[i] as Float32Array, row * dim));
      await cache.cacheCaptionVectors(rows.map((row, i) => ({ hash: captionKey((entries[row] as CaptionEntry).normalized), vector: vectors[i] as Float32Array })));
    }
    options.logger.info({ captions: entries.length, embedded: missing.length, cached: entries.length - missing.length, seconds: (Date.now() - started) / 1000 }, 'caption gallery ready');
    return new CaptionGallery(entries, matrix, dim);
  }

  get size(): number {
    return this.entries.length;
  }

  /** The k captions nearest to `query` [dim], best first. */
  search(query: Float32Array, k: number): CaptionHit[] {
    return hostTopK(this.matrix, this.dim, query, k).map((hit) => {
      const entry = this.entries[hit.index] as CaptionEntry;
      return { index: hit.index, text: entry.text, images: entry.images, score: hit.score };
    });
  }
}
