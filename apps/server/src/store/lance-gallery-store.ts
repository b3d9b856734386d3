import * as lancedb from '@lancedb/lancedb';
import type { Schema } from 'apache-arrow';
import type { Logger } from 'pino';
import type { Shard } from '../gallery/shard';
import { withCreationLock } from './creation-lock';
import type { CachedCaption, GalleryStore, StoreChange, StoreHit } from './gallery-store';
import {
  captionSchema,
  captionTable,
  IMAGE_COLUMNS,
  imageId,
  imageSchema,
  imageTable,
  LANCE_META,
  LANCE_SCHEMA_VERSION,
  readImageRecord,
  readSkipped,
  readVector,
  skippedSchema,
  skippedTable,
  sqlIn,
  sqlInNumbers,
  sqlString,
  type LanceImageRow,
} from './lance-rows';
import type { ImageRecord, SkippedFile } from './metadata-store';

/** Tuning of the Lance store; every field has a default (see `lanceStoreSchema` in options). */
export interface LanceTuning {
  /** Table name (`<name>_skipped` and `<name>_captions` sit beside it). */
  table: string;
  /** How often a reader looks for other processes' commits, in ms (LanceDB's read consistency interval; 0: on every read). */
  refreshMs: number;
  /** Build the vector index once the table holds this many rows (fewer are searched exactly). */
  indexMinRows: number;
  /** Fold new rows into the vector index once this many are outside it (and at least a tenth of the indexed ones). */
  indexBatchRows: number;
  /** IVF partitions probed per query (0: a twentieth of the partitions, at least 20). */
  nprobes: number;
  /** Candidates re-ranked with the stored full vectors, as a multiple of k. */
  refineFactor: number;
  /** Object-store settings passed to LanceDB (credentials, endpoint, region); environment variables work too. */
  storageOptions?: Record<string, string>;
}

/** The defaults of `LanceTuning` (the server options schema uses them too). */
export const DEFAULT_LANCE_TUNING: LanceTuning = { table: 'images', refreshMs: 1000, indexMinRows: 10_000, indexBatchRows: 20_000, nprobes: 0, refineFactor: 60 };

/** What `LanceGalleryStore.open` needs. */
export interface LanceStoreOptions extends LanceTuning {
  /** Database URI: a local folder, or `s3://bucket/prefix`, `gs://…`, `az://…` (any store LanceDB supports). */
  uri: string;
  /** Model fingerprint and embedding size: a table written by another model is refused. */
  fingerprint: string;
  dim: number;
}

const VECTOR_INDEX = 'vector_idx';
/** A table whose rows grew this many times past the rows its index was trained on gets a retrained index. */
const RETRAIN_GROWTH = 4;
/** Compact when this many small data files have piled up (every indexing batch commits one). */
const SMALL_FRAGMENTS = 64;
const OPEN_ATTEMPTS = 5;
const IN_CHUNK = 500;

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** First index in sorted `paths` not before `value`. */
function lowerBound(paths: readonly string[], value: string): number {
  let low = 0;
  let high = paths.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((paths[middle] as string) < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * The scalable store: one Lance table (`images`: id, path, content hash, file stamp, size,
 * indexed-at and the embedding) on local disk or an object store, with two small tables beside it
 * for unreadable files and cached caption embeddings. Every write is a Lance commit (a new table
 * version, written to new files and published by one manifest), so a process killed mid-write
 * leaves the table at its last committed version. Rows are keyed by gallery-relative path
 * (`mergeInsert` on `path`), ids derive from path and content hash (`imageId`), so writers on
 * several machines need no coordination. Searches use an IVF-PQ index (cosine) once the table is
 * big enough, with the candidates re-ranked on the stored full vectors (`refineFactor`); rows not
 * yet in the index are searched exactly by LanceDB alongside. Other processes' commits become
 * visible to reads within `refreshMs`.
 */
export class LanceGalleryStore implements GalleryStore {
  readonly kind = 'lance' as const;
  readonly location: string;
  private readonly options: LanceStoreOptions;
  private readonly logger: Logger;
  private readonly connection: lancedb.Connection;
  private readonly images: lancedb.Table;
  private readonly skippedFiles: lancedb.Table;
  private readonly captions: lancedb.Table;
  private readonly imageArrowSchema: Schema;
  private readonly skippedArrowSchema = skippedSchema();
  private readonly captionArrowSchema: Schema;
  private rows = 0;
  private unindexed = 0;
  private pathCache: { version: number; paths: string[] } | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(options: LanceStoreOptions, logger: Logger, connection: lancedb.Connection, tables: { images: lancedb.Table; skipped: lancedb.Table; captions: lancedb.Table }, imageArrowSchema: Schema) {
    this.options = options;
    this.location = options.uri;
    this.logger = logger;
    this.connection = connection;
    this.images = tables.images;
    this.skippedFiles = tables.skipped;
    this.captions = tables.captions;
    this.imageArrowSchema = imageArrowSchema;
    this.captionArrowSchema = captionSchema(options.dim);
  }

  /**
   * Connect to `options.uri` and open its tables, creating them if missing (several processes may
   * race to create them: the loser opens the winner's). A table written for another model or
   * embedding size is refused rather than emptied, since other processes may be using it.
   */
  static async open(options: LanceStoreOptions, logger: Logger): Promise<LanceGalleryStore> {
    // The row counts are read from index statistics every refresh; their centroids are not needed (and Lance warns unless told).
    process.env.LANCE_INCLUDE_VECTOR_CENTROIDS ??= 'false';
    const connection = await lancedb.connect(options.uri, { readConsistencyInterval: options.refreshMs / 1000, storageOptions: options.storageOptions });
    const metadata = new Map([
      [LANCE_META.schemaVersion, LANCE_SCHEMA_VERSION],
      [LANCE_META.fingerprint, options.fingerprint],
      [LANCE_META.dim, String(options.dim)],
    ]);
    const schema = imageSchema(options.dim, metadata);
    const images = await withCreationLock(options.uri, () => openOrCreate(connection, options.table, schema));
    const stored = (await images.schema()).metadata;
    const problems = [...metadata].filter(([key, value]) => stored.get(key) !== value).map(([key, value]) => `${key} is ${stored.get(key) ?? 'missing'}, this server has ${value}`);
    if (problems.length > 0) {
      images.close();
      connection.close();
      throw new Error(`the table ${options.table} at ${options.uri} was written by another model or version (${problems.join('; ')}): choose another --store-uri, or remove that table to rebuild it`);
    }
    const { skipped, captions } = await withCreationLock(options.uri, async () => ({
      skipped: await openOrCreate(connection, `${options.table}_skipped`, skippedSchema()),
      captions: await openOrCreate(connection, `${options.table}_captions`, captionSchema(options.dim)),
    }));
    const store = new LanceGalleryStore(options, logger, connection, { images, skipped, captions }, schema);
    await store.refresh();
    store.startRefreshing();
    logger.info({ uri: options.uri, table: options.table, rows: store.rows, unindexed: store.unindexed }, 'lance table opened');
    return store;
  }

  get size(): number {
    return this.rows;
  }

  get pendingChanges(): number {
    return this.unindexed;
  }

  /** Re-read the row count and how many rows are outside the vector index (after own writes, and on a timer for others'). */
  async refresh(): Promise<void> {
    const rows = await this.images.countRows();
    const stats = await this.vectorIndexStats();
    this.rows = rows;
    this.unindexed = stats === undefined ? rows : stats.numUnindexedRows;
  }

  private startRefreshing(): void {
    const interval = Math.max(this.options.refreshMs, 100);
    const tick = (): void => {
      this.refreshTimer = setTimeout(() => {
        this.refresh()
          .catch((error: unknown) => this.logger.warn({ err: error }, 'lance table refresh failed'))
          .finally(() => {
            if (!this.closed) tick();
          });
      }, interval);
      this.refreshTimer.unref();
    };
    tick();
  }

  private async vectorIndexStats(): Promise<lancedb.IndexStatistics | undefined> {
    const indices = await this.images.listIndices();
    if (!indices.some((index) => index.name === VECTOR_INDEX)) return undefined;
    return (await this.images.indexStats(VECTOR_INDEX)) ?? undefined;
  }

  private async queryImages(filter: string, limit?: number): Promise<ImageRecord[]> {
    let query = this.images.query().where(filter).select([...IMAGE_COLUMNS]);
    if (limit !== undefined) query = query.limit(limit);
    return ((await query.toArray()) as Array<Record<string, unknown>>).map(readImageRecord);
  }

  private async queryFullRows(filter: string, limit?: number): Promise<LanceImageRow[]> {
    let query = this.images.query().where(filter);
    if (limit !== undefined) query = query.limit(limit);
    return ((await query.toArray()) as Array<Record<string, unknown>>).map((row) => ({ ...readImageRecord(row), vector: readVector(row.vector) }));
  }

  async get(id: number): Promise<ImageRecord | undefined> {
    return (await this.queryImages(`id = ${Math.trunc(id)}`, 1))[0];
  }

  async getByPath(relativePath: string): Promise<ImageRecord | undefined> {
    return (await this.queryImages(`path = ${sqlString(relativePath)}`, 1))[0];
  }

  async all(shard?: Shard): Promise<ImageRecord[]> {
    // A shard's rows are selected by the stored path key, so a shard process reads only its own rows.
    let query = this.images.query().select([...IMAGE_COLUMNS]);
    if (shard !== undefined) query = query.where(`path_key % ${shard.count} = ${shard.index}`);
    const rows = ((await query.toArray()) as Array<Record<string, unknown>>).map(readImageRecord);
    return rows.sort((a, b) => comparePaths(a.path, b.path));
  }

  /** Every path, sorted, cached per table version (listings page through it; Lance has no ORDER BY). */
  private async sortedPaths(): Promise<string[]> {
    const version = await this.images.version();
    if (this.pathCache?.version !== version) {
      const rows = (await this.images.query().select(['path']).toArray()) as Array<{ path: string }>;
      this.pathCache = { version, paths: rows.map((row) => row.path).sort(comparePaths) };
    }
    return this.pathCache.paths;
  }

  async page(offset: number, limit: number, prefix?: string): Promise<{ total: number; items: ImageRecord[] }> {
    const paths = await this.sortedPaths();
    let start = 0;
    let end = paths.length;
    if (prefix !== undefined) {
      start = lowerBound(paths, prefix);
      end = start;
      while (end < paths.length && (paths[end] as string).startsWith(prefix)) end += 1;
    }
    const wanted = paths.slice(Math.min(end, start + offset), Math.min(end, start + offset + limit));
    const rows = wanted.length === 0 ? [] : await this.queryImages(sqlIn('path', wanted));
    return { total: end - start, items: rows.sort((a, b) => comparePaths(a.path, b.path)) };
  }

  async vector(id: number): Promise<Float32Array | undefined> {
    return (await this.queryFullRows(`id = ${Math.trunc(id)}`, 1))[0]?.vector;
  }

  async byHash(hash: string): Promise<{ record: ImageRecord; vector: Float32Array } | undefined> {
    const row = (await this.queryFullRows(`hash = ${sqlString(hash)}`, 1))[0];
    if (row === undefined) return undefined;
    const { vector, ...record } = row;
    return { record, vector };
  }

  async *vectors(): AsyncGenerator<{ id: number; vector: Float32Array }> {
    for await (const records of this.images.query().select(['id', 'vector'])) {
      const ids = records.getChild('id');
      const vectors = records.getChild('vector');
      if (ids === null || vectors === null) continue;
      for (let i = 0; i < records.numRows; i++) yield { id: Number(ids.get(i) as bigint), vector: readVector(vectors.get(i)) };
    }
  }

  async search(query: Float32Array, k: number): Promise<StoreHit[]> {
    if (query.length !== this.options.dim) throw new Error(`LanceGalleryStore.search: query has ${query.length} values, the table holds ${this.options.dim}-dimensional vectors`);
    if (k < 1) return [];
    let search = this.images.vectorSearch(query).distanceType('cosine').select([...IMAGE_COLUMNS, '_distance']).limit(k).refineFactor(this.options.refineFactor);
    const nprobes = this.options.nprobes > 0 ? this.options.nprobes : Math.max(20, Math.ceil(partitionsFor(this.rows) / 20));
    search = search.nprobes(nprobes);
    const rows = (await search.toArray()) as Array<Record<string, unknown>>;
    return rows.map((row) => ({ ...readImageRecord(row), score: 1 - (row._distance as number) }));
  }

  async apply(change: StoreChange): Promise<ImageRecord[]> {
    const now = new Date().toISOString();
    const added: LanceImageRow[] = (change.add ?? []).map((item) => ({
      id: imageId(item.path, item.hash),
      path: item.path,
      hash: item.hash,
      size: item.size,
      mtimeMs: item.mtimeMs,
      width: item.width,
      height: item.height,
      indexedAt: now,
      vector: item.vector,
    }));
    const touched: LanceImageRow[] = [];
    for (const part of chunks(change.touch ?? [], IN_CHUNK)) {
      const stamps = new Map(part.map((item) => [item.id, item]));
      for (const row of await this.queryFullRows(sqlInNumbers('id', [...stamps.keys()]))) {
        const stamp = stamps.get(row.id);
        if (stamp !== undefined) touched.push({ ...row, size: stamp.size, mtimeMs: stamp.mtimeMs });
      }
    }
    // Rows first, in one commit keyed by path (a changed file's row is replaced, never doubled); a kill after it loses no row.
    const upsert = [...added, ...touched];
    if (upsert.length > 0) await this.images.mergeInsert('path').whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(imageTable(this.imageArrowSchema, upsert, this.options.dim));
    for (const part of chunks(change.removeIds ?? [], IN_CHUNK)) await this.images.delete(sqlInNumbers('id', part));
    const unskip = [...(change.clearSkipped ?? []), ...added.map((row) => row.path)];
    for (const part of chunks(unskip, IN_CHUNK)) await this.skippedFiles.delete(sqlIn('path', part));
    if ((change.skip ?? []).length > 0) {
      await this.skippedFiles.mergeInsert('path').whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(skippedTable(this.skippedArrowSchema, change.skip ?? []));
    }
    await this.refresh();
    return added.map(({ vector: _vector, ...record }) => record);
  }

  async skipped(): Promise<SkippedFile[]> {
    const rows = (await this.skippedFiles.query().toArray()) as Array<Record<string, unknown>>;
    return rows.map(readSkipped).sort((a, b) => comparePaths(a.path, b.path));
  }

  async removeSkipped(paths: readonly string[]): Promise<void> {
    for (const part of chunks(paths, IN_CHUNK)) await this.skippedFiles.delete(sqlIn('path', part));
  }

  async cachedCaptionVector(hash: string): Promise<Float32Array | undefined> {
    const rows = (await this.captions.query().where(`hash = ${sqlString(hash)}`).limit(1).toArray()) as Array<Record<string, unknown>>;
    return rows[0] === undefined ? undefined : readVector(rows[0].vector);
  }

  async cacheCaptionVectors(entries: readonly CachedCaption[]): Promise<void> {
    if (entries.length === 0) return;
    await this.captions.mergeInsert('hash').whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(captionTable(this.captionArrowSchema, entries, this.options.dim));
  }

  /**
   * Keep the vector index in step: build it (IVF-PQ, cosine) once the table holds `indexMinRows`
   * rows, retrain it when the table has grown `RETRAIN_GROWTH` times past the rows it was trained
   * on, and otherwise fold new rows into the existing partitions (`optimize`, which also compacts
   * small files) once `indexBatchRows` of them — and a tenth of the indexed rows — are outside it.
   * Several writers may do this at once; a writer that loses the commit race logs it and leaves
   * the work to the next call.
   */
  async maintain(): Promise<void> {
    try {
      const rows = await this.images.countRows();
      const stats = await this.vectorIndexStats();
      if (stats === undefined ? rows >= this.options.indexMinRows : stats.numIndexedRows * RETRAIN_GROWTH <= rows) {
        await this.buildIndex(rows);
      } else if ((stats !== undefined && stats.numUnindexedRows >= Math.max(this.options.indexBatchRows, stats.numIndexedRows / 10)) || (await this.smallFragments()) >= SMALL_FRAGMENTS) {
        const started = Date.now();
        await this.images.optimize();
        this.logger.info({ unindexed: stats?.numUnindexedRows ?? 0, seconds: (Date.now() - started) / 1000 }, 'lance table optimised: small files compacted, new rows folded into the vector index');
      }
    } catch (error) {
      this.logger.warn({ err: error }, `lance index maintenance did not finish (${describeError(error)}); the next batch retries it`);
    }
    await this.refresh();
  }

  private async smallFragments(): Promise<number> {
    return (await this.images.stats()).fragmentStats.numSmallFragments;
  }

  private async buildIndex(rows: number): Promise<void> {
    const started = Date.now();
    const numPartitions = partitionsFor(rows);
    // 16 dimensions per PQ sub-vector (32 for 512-d): the refine step restores exact scores.
    const numSubVectors = this.options.dim % 16 === 0 ? this.options.dim / 16 : this.options.dim % 8 === 0 ? this.options.dim / 8 : 1;
    await this.images.createIndex('vector', { config: lancedb.Index.ivfPq({ distanceType: 'cosine', numPartitions, numSubVectors }), name: VECTOR_INDEX, replace: true });
    for (const column of ['id', 'path', 'hash']) {
      await this.images.createIndex(column, { config: lancedb.Index.btree(), replace: true });
    }
    this.logger.info({ rows, numPartitions, numSubVectors, seconds: (Date.now() - started) / 1000 }, 'lance vector index built');
  }

  async flush(): Promise<void> {
    await this.maintain();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.refreshTimer);
    this.images.close();
    this.skippedFiles.close();
    this.captions.close();
    this.connection.close();
  }
}

/** IVF partitions for `rows` rows: about 4,096 rows each (LanceDB's guidance), at least one. */
export function partitionsFor(rows: number): number {
  return Math.max(1, Math.min(4096, Math.round(rows / 4096)));
}

/** Open table `name`, creating it empty with `schema` if missing (another process may be creating it at the same moment). */
async function openOrCreate(connection: lancedb.Connection, name: string, schema: Schema): Promise<lancedb.Table> {
  let lastError: unknown;
  for (let attempt = 0; attempt < OPEN_ATTEMPTS; attempt++) {
    if ((await connection.tableNames()).includes(name)) {
      try {
        return await connection.openTable(name);
      } catch (error) {
        lastError = error;
      }
    } else {
      try {
        return await connection.createEmptyTable(name, schema, { mode: 'create', existOk: true });
      } catch (error) {
        // Lost a creation race: the next attempt opens the winner's table.
        lastError = error;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50 * (attempt + 1)));
  }
  throw new Error(`could not open or create the lance table ${name}: ${describeError(lastError)}`);
}
