import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { PreparedImage, ServerEncoder } from '../encoder/server-encoder';
import type { GalleryStore } from '../store/gallery-store';
import type { ImageRecord, NewImage, SkippedFile } from '../store/metadata-store';
import { readGalleryFile } from './read-gallery-file';
import { scanGallery, type GalleryFile } from './scan-gallery';
import type { SerialLock } from './serial-lock';
import { inShard, type Shard } from './shard';

/** Where an indexing run is; `/api/stats` and `/healthz` show it. */
export interface IndexingProgress {
  state: 'idle' | 'scanning' | 'indexing' | 'failed';
  /** Files found by the last scan. */
  files: number;
  /** New or changed files this run has to look at, and how many it has. */
  total: number;
  done: number;
  added: number;
  /** Rows re-embedded because their file's bytes changed. */
  updated: number;
  /** Files whose stamp changed but whose bytes did not. */
  unchanged: number;
  removed: number;
  skipped: number;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
}

export function idleProgress(): IndexingProgress {
  return { state: 'idle', files: 0, total: 0, done: 0, added: 0, updated: 0, unchanged: 0, removed: 0, skipped: 0, startedAt: null, finishedAt: null, error: null };
}

/** What `indexGallery` works with. */
export interface IndexContext {
  root: string;
  /** Folders the scan must not enter (the index folder). */
  exclude: readonly string[];
  store: GalleryStore;
  /** Index only this shard's files, and remove only this shard's vanished rows. Default: every file. */
  shard?: Shard;
  encoder: ServerEncoder;
  lock: SerialLock;
  batchSize: number;
  maxImagePixels: number;
  logger: Logger;
  /** Checked between batches: true stops the run (the server is closing). */
  shouldStop?: () => boolean;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Bring the index in line with the gallery folder: rows of vanished files are removed, new files
 * and files whose size or modification time changed are read and hashed, and only files whose
 * bytes are not indexed yet are embedded (a copy or rename reuses the stored vector). Works in
 * batches, each one transaction under the write lock, so a kill loses at most the batch in flight
 * and a restart resumes where it stopped. Unreadable images are recorded and not retried until
 * they change. With a shard, files and rows of other shards are left alone, so several processes
 * with disjoint shards can fill one shared store at once. `progress` is updated in place.
 */
export async function indexGallery(context: IndexContext, progress: IndexingProgress): Promise<void> {
  const { store, lock, logger, shard } = context;
  Object.assign(progress, idleProgress(), { state: 'scanning', startedAt: new Date().toISOString() });
  const started = Date.now();
  const files = (await scanGallery(context.root, { exclude: context.exclude })).filter((file) => inShard(file.path, shard));
  progress.files = files.length;

  const candidates = await lock.run(async () => {
    const present = new Set(files.map((file) => file.path));
    const rows = await store.all(shard);
    const gone = rows.filter((row) => !present.has(row.path));
    if (gone.length > 0) await store.apply({ removeIds: gone.map((row) => row.id) });
    const skipped = new Map((await store.skipped()).filter((entry) => inShard(entry.path, shard)).map((entry) => [entry.path, entry]));
    await store.removeSkipped([...skipped.keys()].filter((item) => !present.has(item)));
    progress.removed = gone.length;
    const byPath = new Map(rows.map((row) => [row.path, row]));
    return files.filter((file) => {
      const row = byPath.get(file.path);
      if (row !== undefined) return row.size !== file.size || row.mtimeMs !== file.mtimeMs;
      const skip = skipped.get(file.path);
      return skip === undefined || skip.size !== file.size || skip.mtimeMs !== file.mtimeMs;
    });
  });

  progress.state = 'indexing';
  progress.total = candidates.length;
  logger.info({ gallery: context.root, files: files.length, indexed: store.size, toCheck: candidates.length, removed: progress.removed, ...(shard === undefined ? {} : { shard: `${shard.index}/${shard.count}` }) }, 'indexing gallery');
  for (let start = 0; start < candidates.length; start += context.batchSize) {
    if (context.shouldStop?.() === true) {
      logger.info({ done: progress.done, total: progress.total }, 'indexing stopped; the next start resumes it');
      break;
    }
    const batch = candidates.slice(start, start + context.batchSize);
    await lock.run(() => indexBatch(context, batch, progress));
    progress.done += batch.length;
    const seconds = (Date.now() - started) / 1000;
    logger.info({ done: progress.done, total: progress.total, perSecond: Number((progress.done / Math.max(seconds, 1e-3)).toFixed(1)) }, 'indexing progress');
  }
  await lock.run(() => store.flush());
  Object.assign(progress, { state: 'idle', finishedAt: new Date().toISOString() });
  logger.info(
    { images: store.size, added: progress.added, updated: progress.updated, unchanged: progress.unchanged, removed: progress.removed, skipped: progress.skipped, seconds: (Date.now() - started) / 1000 },
    'indexing done',
  );
}

async function indexBatch(context: IndexContext, batch: readonly GalleryFile[], progress: IndexingProgress): Promise<void> {
  const { store, encoder } = context;
  const touch: Array<{ id: number; size: number; mtimeMs: number }> = [];
  const skip: SkippedFile[] = [];
  const removeIds: number[] = [];
  const replacedPaths = new Set<string>();
  const reused: NewImage[] = [];
  const toEncode: Array<{ item: Omit<NewImage, 'vector'>; prepared: PreparedImage }> = [];

  await Promise.all(
    batch.map(async (file) => {
      const read = await readGalleryFile(context.root, file);
      if (read.kind === 'gone') return; // vanished since the scan: the next scan removes its row
      const { stamp } = read;
      if (read.kind === 'skipped') {
        skip.push({ path: file.path, ...stamp, reason: read.reason });
        return;
      }
      const { bytes } = read;
      const hash = sha256(bytes);
      const row: ImageRecord | undefined = await store.getByPath(file.path);
      if (row !== undefined && row.hash === hash) {
        touch.push({ id: row.id, ...stamp });
        return;
      }
      if (row !== undefined) {
        removeIds.push(row.id);
        replacedPaths.add(file.path);
      }
      const known = await store.byHash(hash);
      if (known !== undefined) {
        reused.push({ path: file.path, hash, ...stamp, width: known.record.width, height: known.record.height, vector: known.vector });
        return;
      }
      try {
        const prepared = await encoder.prepareImage(bytes, { name: file.path, maxPixels: context.maxImagePixels });
        toEncode.push({ item: { path: file.path, hash, ...stamp, width: prepared.width, height: prepared.height }, prepared });
      } catch (error) {
        skip.push({ path: file.path, ...stamp, reason: reason(error) });
      }
    }),
  );

  const embeddings = toEncode.length === 0 ? [] : await encoder.encodeImages(toEncode.map((entry) => entry.prepared));
  const add: NewImage[] = [...reused, ...toEncode.map((entry, i) => ({ ...entry.item, vector: embeddings[i] as Float32Array }))];
  await store.apply({ add, removeIds, touch, skip });
  await store.maintain();

  const updated = add.filter((item) => replacedPaths.has(item.path)).length;
  progress.updated += updated;
  progress.added += add.length - updated;
  progress.unchanged += touch.length;
  progress.skipped += skip.length;
  for (const entry of skip) context.logger.warn({ file: entry.path, reason: entry.reason }, 'gallery file skipped');
}
