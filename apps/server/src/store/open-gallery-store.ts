import type { Logger } from 'pino';
import type { GalleryStore, StoreKind } from './gallery-store';
import { LanceGalleryStore, type LanceTuning } from './lance-gallery-store';
import { SqliteGalleryStore } from './sqlite-gallery-store';
import type { VectorIndexOptions } from './vector-index';

/** What `openGalleryStore` needs: the store kind, where it lives, the model it holds, and each kind's tuning. */
export interface OpenStoreOptions {
  kind: StoreKind;
  /** The local index folder (created by the caller): the SQLite store lives there. */
  indexDir: string;
  /** The Lance database URI (required for `lance`). */
  storeUri?: string;
  fingerprint: string;
  dim: number;
  vectorIndex: Omit<VectorIndexOptions, 'dim'>;
  lance: LanceTuning;
}

/** Open the gallery store of `options.kind` (the only place that knows both implementations). */
export async function openGalleryStore(options: OpenStoreOptions, logger: Logger): Promise<GalleryStore> {
  if (options.kind === 'sqlite') {
    const store = await SqliteGalleryStore.open({ indexDir: options.indexDir, fingerprint: options.fingerprint, dim: options.dim, vectorIndex: options.vectorIndex }, logger);
    if (store.droppedForeignRows) logger.warn({ indexDir: options.indexDir }, 'the index was built by another model: every image will be embedded again');
    return store;
  }
  if (options.storeUri === undefined) throw new Error('the lance store needs a store URI (--store-uri)');
  return LanceGalleryStore.open({ ...options.lance, uri: options.storeUri, fingerprint: options.fingerprint, dim: options.dim }, logger);
}
