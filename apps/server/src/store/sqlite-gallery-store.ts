import path from 'node:path';
import type { Logger } from 'pino';
import { inShard, type Shard } from '../gallery/shard';
import type { CachedCaption, GalleryStore, StoreChange, StoreHit } from './gallery-store';
import { acquireIndexLock } from './index-lock';
import { MetadataStore, type ImageRecord, type SkippedFile } from './metadata-store';
import { VectorIndex, type VectorIndexOptions } from './vector-index';

/** What `SqliteGalleryStore.open` needs. */
export interface SqliteStoreOptions {
  /** The index folder (created by the caller): `index.sqlite`, `vectors/` and the lock file go there. */
  indexDir: string;
  /** Model fingerprint and embedding size: rows of another model are dropped on open. */
  fingerprint: string;
  dim: number;
  vectorIndex: Omit<VectorIndexOptions, 'dim'>;
}

/**
 * The embedded store: SQLite (rows, vectors, change log; the source of truth) and the in-memory
 * HNSW index snapshotted beside it (`MetadataStore` + `VectorIndex`), in one index folder that one
 * process holds through its lock file. Behaviour is that of the index before the store interface:
 * each `apply` is one SQLite transaction, then the HNSW graph follows.
 */
export class SqliteGalleryStore implements GalleryStore {
  readonly kind = 'sqlite' as const;
  readonly location: string;
  readonly metadata: MetadataStore;
  readonly index: VectorIndex;
  /** Whether opening dropped rows another model or schema had written. */
  readonly droppedForeignRows: boolean;
  private readonly releaseLock: () => Promise<void>;

  private constructor(location: string, metadata: MetadataStore, index: VectorIndex, droppedForeignRows: boolean, releaseLock: () => Promise<void>) {
    this.location = location;
    this.metadata = metadata;
    this.index = index;
    this.droppedForeignRows = droppedForeignRows;
    this.releaseLock = releaseLock;
  }

  /** Lock the index folder, open its database (dropping another model's rows) and load or rebuild the vector index. */
  static async open(options: SqliteStoreOptions, logger: Logger): Promise<SqliteGalleryStore> {
    const releaseLock = await acquireIndexLock(options.indexDir);
    let metadata: MetadataStore | undefined;
    try {
      metadata = new MetadataStore(path.join(options.indexDir, 'index.sqlite'));
      const dropped = metadata.claimFor(options.fingerprint, options.dim);
      const index = await VectorIndex.open(path.join(options.indexDir, 'vectors'), metadata, { ...options.vectorIndex, dim: options.dim }, logger);
      return new SqliteGalleryStore(options.indexDir, metadata, index, dropped, releaseLock);
    } catch (error) {
      metadata?.close();
      await releaseLock();
      throw error;
    }
  }

  get size(): number {
    return this.index.size;
  }

  get pendingChanges(): number {
    return this.index.pendingChanges;
  }

  async get(id: number): Promise<ImageRecord | undefined> {
    return this.metadata.get(id);
  }

  async getByPath(relativePath: string): Promise<ImageRecord | undefined> {
    return this.metadata.getByPath(relativePath);
  }

  async all(shard?: Shard): Promise<ImageRecord[]> {
    return this.metadata.all().filter((row) => inShard(row.path, shard));
  }

  async page(offset: number, limit: number, prefix?: string): Promise<{ total: number; items: ImageRecord[] }> {
    return this.metadata.page(offset, limit, prefix);
  }

  async vector(id: number): Promise<Float32Array | undefined> {
    return this.metadata.vector(id);
  }

  async byHash(hash: string): Promise<{ record: ImageRecord; vector: Float32Array } | undefined> {
    return this.metadata.byHash(hash);
  }

  async *vectors(batch = 1024): AsyncGenerator<{ id: number; vector: Float32Array }> {
    yield* this.metadata.vectors(batch);
  }

  async search(query: Float32Array, k: number): Promise<StoreHit[]> {
    const hits = this.index.search(query, k);
    const records = new Map(this.metadata.getMany(hits.map((hit) => hit.id)).map((record) => [record.id, record]));
    return hits.flatMap((hit) => {
      const record = records.get(hit.id);
      return record === undefined ? [] : [{ ...record, score: hit.score }];
    });
  }

  async apply(change: StoreChange): Promise<ImageRecord[]> {
    const records = this.metadata.apply(change);
    for (const id of change.removeIds ?? []) this.index.remove(id);
    records.forEach((record, i) => this.index.add(record.id, (change.add?.[i] as { vector: Float32Array }).vector));
    return records;
  }

  async skipped(): Promise<SkippedFile[]> {
    return this.metadata.skipped();
  }

  async removeSkipped(paths: readonly string[]): Promise<void> {
    this.metadata.removeSkipped(paths);
  }

  async cachedCaptionVector(hash: string): Promise<Float32Array | undefined> {
    return this.metadata.cachedCaptionVector(hash);
  }

  async cacheCaptionVectors(entries: readonly CachedCaption[]): Promise<void> {
    this.metadata.cacheCaptionVectors(entries);
  }

  async maintain(): Promise<void> {
    await this.index.maybeSnapshot();
  }

  async flush(): Promise<void> {
    if (this.index.pendingChanges > 0) await this.index.snapshot();
  }

  async close(): Promise<void> {
    this.metadata.close();
    await this.releaseLock();
  }
}
