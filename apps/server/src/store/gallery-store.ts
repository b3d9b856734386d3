import type { Shard } from '../gallery/shard';
import type { ImageRecord, NewImage, SkippedFile } from './metadata-store';

/** The stores a gallery index can live in. */
export const STORE_KINDS = ['sqlite', 'lance'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

/** A search hit: the gallery row and its cosine similarity to the query (embeddings are L2-normalised). */
export interface StoreHit extends ImageRecord {
  score: number;
}

/** One change to the index, applied by `GalleryStore.apply`. */
export interface StoreChange {
  /** New rows (a row already stored at the same path is replaced). */
  add?: readonly NewImage[];
  /** Rows to remove. */
  removeIds?: readonly number[];
  /** New file stamps of rows whose bytes did not change. */
  touch?: ReadonlyArray<{ id: number; size: number; mtimeMs: number }>;
  /** Paths no longer to list as skipped. */
  clearSkipped?: readonly string[];
  /** Files the indexer could not read. */
  skip?: readonly SkippedFile[];
}

/** A caption embedding cached by the hash of its normalised text. */
export interface CachedCaption {
  hash: string;
  vector: Float32Array;
}

/**
 * Where a gallery's index lives: image rows (path, content hash, file stamp, size), their
 * embeddings and the search over them, the files that could not be read, and the caption
 * embedding cache. Two implementations: `SqliteGalleryStore` (SQLite + in-memory HNSW, one process,
 * the default) and `LanceGalleryStore` (one Lance table on local disk or an object store, shared by
 * several processes and machines). Writes come from one writer per process (the gallery's lock);
 * reads may run at any time.
 */
export interface GalleryStore {
  readonly kind: StoreKind;
  /** Where the index is, for logs (a folder or a URI). */
  readonly location: string;
  /** Images searchable now (for a shared store, as of the last refresh). */
  readonly size: number;
  /** Changes not yet folded into the on-disk search structure (HNSW snapshot, or the Lance vector index). */
  readonly pendingChanges: number;

  get(id: number): Promise<ImageRecord | undefined>;
  getByPath(relativePath: string): Promise<ImageRecord | undefined>;
  /** Every row, or every row of `shard`, ordered by path (no vectors). */
  all(shard?: Shard): Promise<ImageRecord[]>;
  /** A page of rows ordered by path, optionally only paths starting with `prefix`. */
  page(offset: number, limit: number, prefix?: string): Promise<{ total: number; items: ImageRecord[] }>;
  vector(id: number): Promise<Float32Array | undefined>;
  /** Any row holding these bytes, with its vector (a copied or renamed file needs no new embedding). */
  byHash(hash: string): Promise<{ record: ImageRecord; vector: Float32Array } | undefined>;
  /** Every (id, vector), a batch at a time. */
  vectors(batch?: number): AsyncGenerator<{ id: number; vector: Float32Array }>;
  /** The k images nearest to `query` [dim], best first. */
  search(query: Float32Array, k: number): Promise<StoreHit[]>;
  /**
   * Apply one change and make it searchable. A process killed during the call leaves the store at
   * a committed state: the whole change (SQLite) or a prefix of its commits (Lance: rows, then
   * deletions, then skipped files), each of which the next indexing run completes.
   */
  apply(change: StoreChange): Promise<ImageRecord[]>;
  skipped(): Promise<SkippedFile[]>;
  removeSkipped(paths: readonly string[]): Promise<void>;
  cachedCaptionVector(hash: string): Promise<Float32Array | undefined>;
  cacheCaptionVectors(entries: readonly CachedCaption[]): Promise<void>;
  /** Fold changes into the on-disk search structure when enough have accumulated. */
  maintain(): Promise<void>;
  /** At the end of an indexing run and on close: SQLite snapshots every pending change now; Lance runs `maintain` (rows outside its vector index are searched exactly meanwhile). */
  flush(): Promise<void>;
  close(): Promise<void>;
}
