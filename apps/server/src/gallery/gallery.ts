import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { ImageDecodeError } from '@harma/data';
import type { ServerEncoder } from '../encoder/server-encoder';
import { ApiError } from '../errors';
import { acquireIndexLock } from '../store/index-lock';
import { MetadataStore, type ImageRecord } from '../store/metadata-store';
import { VectorIndex, type VectorIndexOptions } from '../store/vector-index';
import { checkGalleryPath, FORMAT_EXTENSIONS, resolveInGallery } from './gallery-paths';
import { idleProgress, indexGallery, sha256, type IndexingProgress } from './index-gallery';
import { SerialLock } from './serial-lock';
import { createUploadFolders, planUpload, removeCreatedFolders, type UploadTarget } from './upload-target';
import { ThumbnailCache } from './thumbnails';

export interface GalleryOptions {
  /** The image folder. */
  root: string;
  /** The index folder (created if missing). */
  indexDir: string;
  batchSize: number;
  maxImagePixels: number;
  thumbnailSize: number;
  vectorIndex: Omit<VectorIndexOptions, 'dim'>;
}

/** A search hit with its gallery row. */
export interface GalleryHit extends ImageRecord {
  score: number;
}

/**
 * The indexed image gallery: the image folder, its persistent index (SQLite + HNSW) and the one
 * writer lock every change goes through (indexing batches, uploads, deletions). Searches never
 * wait for the lock: they run synchronously between writes.
 */
export class Gallery {
  readonly root: string;
  readonly indexDir: string;
  readonly store: MetadataStore;
  readonly vectors: VectorIndex;
  readonly progress: IndexingProgress = idleProgress();
  private readonly options: GalleryOptions;
  private readonly encoder: ServerEncoder;
  private readonly logger: Logger;
  private readonly lock = new SerialLock();
  private readonly thumbnails: ThumbnailCache;
  private readonly releaseLock: () => Promise<void>;
  private running: Promise<void> | undefined;
  private closed = false;

  private constructor(options: GalleryOptions, encoder: ServerEncoder, logger: Logger, store: MetadataStore, vectors: VectorIndex, releaseLock: () => Promise<void>) {
    this.options = options;
    this.root = options.root;
    this.indexDir = options.indexDir;
    this.encoder = encoder;
    this.logger = logger;
    this.store = store;
    this.vectors = vectors;
    this.releaseLock = releaseLock;
    this.thumbnails = new ThumbnailCache({ dir: path.join(options.indexDir, 'thumbnails'), size: options.thumbnailSize, maxPixels: options.maxImagePixels });
  }

  /** Open the index of `options.root` for `encoder`'s model (stored vectors of another model are dropped). */
  static async open(options: GalleryOptions, encoder: ServerEncoder, logger: Logger): Promise<Gallery> {
    const stat = await fs.stat(options.root).catch(() => undefined);
    if (!stat?.isDirectory()) throw new Error(`gallery folder ${options.root} does not exist or is not a folder`);
    await fs.mkdir(options.indexDir, { recursive: true });
    const releaseLock = await acquireIndexLock(options.indexDir);
    let store: MetadataStore | undefined;
    try {
      store = new MetadataStore(path.join(options.indexDir, 'index.sqlite'));
      if (store.claimFor(encoder.fingerprint, encoder.embedDim)) {
        logger.warn({ indexDir: options.indexDir }, 'the index was built by another model: every image will be embedded again');
      }
      const vectors = await VectorIndex.open(path.join(options.indexDir, 'vectors'), store, { ...options.vectorIndex, dim: encoder.embedDim }, logger);
      return new Gallery(options, encoder, logger, store, vectors, releaseLock);
    } catch (error) {
      store?.close();
      await releaseLock();
      throw error;
    }
  }

  /** Images searchable now. */
  get size(): number {
    return this.vectors.size;
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
        vectors: this.vectors,
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
  search(query: Float32Array, k: number): GalleryHit[] {
    const hits = this.vectors.search(query, k);
    const records = new Map(this.store.getMany(hits.map((hit) => hit.id)).map((record) => [record.id, record]));
    return hits.flatMap((hit) => {
      const record = records.get(hit.id);
      return record === undefined ? [] : [{ ...record, score: hit.score }];
    });
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
      if (this.store.getByPath(relative) !== undefined) throw new ApiError(409, 'already_exists', `path: ${relative} is already in the gallery`, { field: 'path' });
      const target = await planUpload(this.root, relative);
      const created = await createUploadFolders(target);
      let written = false;
      try {
        await this.writeNewFile(target, bytes, relative);
        written = true;
        const [vector] = await this.encoder.encodeImages([prepared]);
        const stat = await fs.stat(target.file);
        const [record] = this.store.apply({ add: [{ path: relative, hash, size: stat.size, mtimeMs: stat.mtimeMs, width: prepared.width, height: prepared.height, vector: vector as Float32Array }] });
        this.vectors.add((record as ImageRecord).id, vector as Float32Array);
        await this.vectors.maybeSnapshot();
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
      const record = this.store.get(id);
      if (record === undefined) throw new ApiError(404, 'not_found', `gallery image ${id} does not exist`);
      // File first: a kill in between leaves a row without a file, which the next scan removes.
      await fs.rm(resolveInGallery(this.root, record.path), { force: true });
      this.store.apply({ removeIds: [id] });
      this.vectors.remove(id);
      await this.vectors.maybeSnapshot();
      return record;
    });
  }

  /** A JPEG thumbnail of image `id`. */
  async thumbnail(id: number): Promise<Buffer> {
    const record = this.store.get(id);
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

  /** Wait for indexing to stop at a batch boundary, snapshot the vectors, close the database and release the index. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.running?.catch(() => undefined);
    await this.lock.run(async () => {
      if (this.vectors.pendingChanges > 0) await this.vectors.snapshot();
    });
    this.store.close();
    await this.releaseLock();
  }
}
