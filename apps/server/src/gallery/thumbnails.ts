import { promises as fs } from 'node:fs';
import path from 'node:path';
import { decodeImage } from '@harma/data';
import { writeFileAtomic } from '@harma/core';
import sharp from 'sharp';

export interface ThumbnailOptions {
  /** Folder of cached thumbnails. */
  dir: string;
  /** Longest side in pixels. */
  size: number;
  /** Largest source image decoded. */
  maxPixels: number;
}

/**
 * A JPEG thumbnail of an image file or its bytes, its longest side at most `size` pixels (never
 * enlarged). The source is decoded by `decodeImage`, the model's own decoder, so 16-bit and alpha
 * images look as the model sees them and the pixel limit applies.
 */
export async function renderThumbnail(source: string | Uint8Array, options: { size: number; maxPixels: number }): Promise<Buffer> {
  const image = await decodeImage(source, { maxPixels: options.maxPixels });
  return sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(options.size, options.size, { fit: 'inside', withoutEnlargement: true })
    .jpeg({ quality: 82 })
    .toBuffer();
}

/**
 * JPEG thumbnails of gallery images, made on first request and cached on disk by content hash
 * (a changed file gets a new one), rendered by `renderThumbnail`.
 */
export class ThumbnailCache {
  private readonly options: ThumbnailOptions;
  private readonly inFlight = new Map<string, Promise<Buffer>>();

  constructor(options: ThumbnailOptions) {
    this.options = options;
  }

  get(file: string, hash: string): Promise<Buffer> {
    const cached = path.join(this.options.dir, `${hash}-${this.options.size}.jpg`);
    let pending = this.inFlight.get(cached);
    if (pending === undefined) {
      pending = this.load(file, cached).finally(() => this.inFlight.delete(cached));
      this.inFlight.set(cached, pending);
    }
    return pending;
  }

  private async load(file: string, cached: string): Promise<Buffer> {
    const existing = await fs.readFile(cached).catch(() => undefined);
    if (existing !== undefined) return existing;
    const jpeg = await renderThumbnail(file, this.options);
    await fs.mkdir(this.options.dir, { recursive: true });
    await writeFileAtomic(cached, jpeg);
    return jpeg;
  }
}
