import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { ImageDecodeError } from '@harma/data';
import type { ServerEncoder } from '../encoder/server-encoder';
import { ApiError } from '../errors';
import type { GalleryStore, StoreHit, StoreKind } from '../store/gallery-store';
import { DEFAULT_LANCE_TUNING, type LanceTuning } from '../store/lance-gallery-store';
import type { ImageRecord } from '../store/metadata-store';
import { openGalleryStore } from '../store/open-gallery-store';
import type { VectorIndexOptions } from '../store/vector-index';
import { checkGalleryPath, FORMAT_EXTENSIONS, resolveInGallery } from './gallery-paths';
import { idleProgress, indexGallery, sha256, type IndexingProgress } from './index-gallery';
import { SerialLock } from './serial-lock';
import type { Shard } from './shard';
import { createUploadFolders, planUpload, removeCreatedFolders, type UploadTarget } from './upload-target';
import { ThumbnailCache } from './thumbnails';

export interface GalleryOptions {
  /** The image folder. */
  root: string;
  /** The local index folder (created if missing): the SQLite store and the thumbnail cache. */
  indexDir: string;
  batchSize: number;
  maxImagePixels: number;
  thumbnailSize: number;
  vectorIndex: Omit<VectorIndexOptions, 'dim'>;
  /** Which store holds the index. Default: `sqlite`. */
  store?: StoreKind;
  /** The Lance database URI (`store: 'lance'`). */
  storeUri?: string;
  /** Lance store tuning (`store: 'lance'`). */
  lance?: LanceTuning;
  /** Index only this shard of the gallery's files. Default: all of them. */
  shard?: Shard;
}

/** A search hit with its gallery row. */
export type GalleryHit = StoreHit;

/**
 * The indexed image gallery: the image folder, its persistent index (a `GalleryStore`: SQLite +
 * HNSW, or a shared Lance table) and the one writer lock every change of this process goes through
 * (indexing batches, uploads, deletions). Searches never wait for the lock.
 */
export class Gallery {
  readonly root: string;
  readonly indexDir: string;
  readonly store: GalleryStore;
  readonly progress: IndexingProgress = idleProgress();
  private readonly options: GalleryOptions;
  private readonly encoder: ServerEncoder;
  private readonly logger: Logger;
  private readonly lock = new SerialLock();
  private readonly thumbnails: ThumbnailCache;
  private running: Promise<void> | undefined;
  private closed = false;

  private constructor(options: GalleryOptions, encoder: ServerEncoder, logger: Logger, store: GalleryStore) {
    this.options = options;
    this.root = options.root;
    this.indexDir = options.indexDir;
    this.encoder = encoder;
    this.logger = logger;
    this.store = store;
    this.thumbnails = new ThumbnailCache({ dir: path.join(options.indexDir, 'thumbnails'), size: options.thumbnailSize, maxPixels: options.maxImagePixels });
  }

  /**
   * Open the index of `options.root` for `encoder`'s model (SQLite: stored vectors of another model
   * are dropped; Lance: a table of another model is refused).
   */
  static async open(options: GalleryOptions, encoder: ServerEncoder, logger: Logger): Promise<Gallery> {
    const stat = await fs.stat(options.root).catch(() => undefined);
    if (!stat?.isDirectory()) throw new Error(`gallery folder ${options.root} does not exist or is not a folder`);
    await fs.mkdir(options.indexDir, { recursive: true });
    const store = await openGalleryStore(
      {
        kind: options.store ?? 'sqlite',
        indexDir: options.indexDir,
        storeUri: options.storeUri,
        fingerprint: encoder.fingerprint,
        dim: encoder.embedDim,
        vectorIndex: options.vectorIndex,
        lance: options.lance ?? DEFAULT_LANCE_TUNING,
      },
      logger,
    );
    return new Gallery(options, encoder, logger, store);
  }

  /** Images searchable now. */
  get size(): number {
    return this.store.size;
  }

  get indexing(): boolean {
    return this.running !== undefined;
  }

  /**
   * Index new and changed files (see `indexGallery`). While a run is going, calling again returns
   * that run.
   */
  reindex(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the gallery is closed'));
    this.running ??= indexGallery(
      {
        root: this.root,
        exclude: [this.indexDir],
        store: this.store,
        shard: this.options.shard,
        encoder: this.encoder,
        lock: this.lock,
        batchSize: this.options.batchSize,
        maxImagePixels: this.options.maxImagePixels,
        logger: this.logger,
        shouldStop: () => this.closed,
      },
      this.progress,
    )
      .catch((error: unknown) => {
        Object.assign(this.progress, { state: 'failed', finishedAt: new Date().toISOString(), error: error instanceof Error ? error.message : String(error) });
        this.logger.error({ err: error }, 'indexing failed');
        throw error;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  /** The k images nearest to `query` [embedDim], best first. */
  search(query: Float32Array, k: number): Promise<GalleryHit[]> {
    return this.store.search(query, k);
  }

  /**
   * Store an uploaded image in the gallery folder at `requestedPath` (default
   * `uploads/<hash>.<ext>`) and index it. The image is decoded (size limit included) and the path
   * checked against the file system (`planUpload`: names the file system refuses, folders that are
   * files, symbolic links) before anything is written; an existing file or row at the path is a
   * conflict. A failed upload leaves nothing behind, not even the folders it created.
   */
  async add(bytes: Uint8Array, requestedPath?: string): Promise<ImageRecord> {
    const prepared = await this.encoder.prepareImage(bytes, { name: 'upload', maxPixels: this.options.maxImagePixels });
    const extensions = FORMAT_EXTENSIONS[prepared.format] ?? [];
    const hash = sha256(bytes);
    const relative = requestedPath === undefined ? `uploads/${hash.slice(0, 16)}${extensions[0] ?? ''}` : checkGalleryPath(requestedPath);
    if (!extensions.includes(path.extname(relative).toLowerCase())) {
      throw new ApiError(400, 'invalid_path', `path: the upload is a ${prepared.format} image; its name must end with ${extensions.join(' or ')}`, { field: 'path' });
    }
    return this.lock.run(async () => {
      if ((await this.store.getByPath(relative)) !== undefined) throw new ApiError(409, 'already_exists', `path: ${relative} is already in the gallery`, { field: 'path' });
      const target = await planUpload(this.root, relative);
      const created = await createUploadFolders(target);
      let written = false;
      try {
        await this.writeNewFile(target, bytes, relative);
        written = true;
        const [vector] = await this.encoder.encodeImages([prepared]);
        const stat = await fs.stat(target.file);
        const [record] = await this.store.apply({ add: [{ path: relative, hash, size: stat.size, mtimeMs: stat.mtimeMs, width: prepared.width, height: prepared.height, vector: vector as Float32Array }] });
        await this.store.maintain();
        return record as ImageRecord;
      } catch (error) {
        if (written) await fs.rm(target.file, { force: true });
        await removeCreatedFolders(created);
        throw error;
      }
    });
  }

  /** Write `bytes` to the planned file, which must not exist yet, inside the gallery even if a folder was swapped for a link meanwhile. */
  private async writeNewFile(target: UploadTarget, bytes: Uint8Array, relative: string): Promise<void> {
    const folder = path.dirname(target.file);
    const inside = path.relative(target.realRoot, await fs.realpath(folder));
    if (inside.startsWith('..') || path.isAbsolute(inside)) throw new ApiError(400, 'invalid_path', `path: ${relative} leads outside the gallery through a symbolic link`, { field: 'path' });
    const temporary = path.join(folder, `.upload-${randomBytes(8).toString('hex')}.tmp`);
    await fs.writeFile(temporary, bytes, { flag: 'wx' });
    try {
      // link() refuses to replace an existing file, unlike rename(): no upload overwrites a gallery file.
      await fs.link(temporary, target.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new ApiError(409, 'already_exists', `path: a file ${relative} already exists in the gallery folder`, { field: 'path' });
      throw error;
    } finally {
      await fs.rm(temporary, { force: true });
    }
  }

  /** Remove image `id` from the index and delete its file from the gallery folder. */
  async remove(id: number): Promise<ImageRecord> {
    return this.lock.run(async () => {
      const record = await this.store.get(id);
      if (record === undefined) throw new ApiError(404, 'not_found', `gallery image ${id} does not exist`);
      // File first: a kill in between leaves a row without a file, which the next scan removes.
      await fs.rm(resolveInGallery(this.root, record.path), { force: true });
      await this.store.apply({ removeIds: [id] });
      await this.store.maintain();
      return record;
    });
  }

  /** A JPEG thumbnail of image `id`. */
  async thumbnail(id: number): Promise<Buffer> {
    const record = await this.store.get(id);
    if (record === undefined) throw new ApiError(404, 'not_found', `gallery image ${id} does not exist`);
    try {
      return await this.thumbnails.get(resolveInGallery(this.root, record.path), record.hash);
    } catch (error) {
      // The file changed or vanished since it was indexed; the message must not show server paths.
      if (!(error instanceof ImageDecodeError)) throw error;
      const missing = (await fs.stat(resolveInGallery(this.root, record.path)).catch(() => undefined)) === undefined;
      if (missing) throw new ApiError(404, 'not_found', `the file of gallery image ${id} (${record.path}) is gone; reindex the gallery`);
      throw new ApiError(400, 'invalid_image', `the file of gallery image ${id} (${record.path}) can no longer be decoded; reindex the gallery`);
    }
  }

  /** Wait for indexing to stop at a batch boundary, fold pending changes into the store's search structure (`flush`) and close it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.running?.catch(() => undefined);
    try {
      await this.lock.run(() => this.store.flush());
    } finally {
      await this.store.close();
    }
  }
}
