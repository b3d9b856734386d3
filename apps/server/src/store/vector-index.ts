import { promises as fs, existsSync } from 'node:fs';
import path from 'node:path';
import hnswlib from 'hnswlib-node';
import type { Logger } from 'pino';
import { z } from 'zod/v4';
import type { MetadataStore } from './metadata-store';
import { syncDirectory, syncFile, writeFileAtomic } from '@harma/core';

const { HierarchicalNSW } = hnswlib;
type Hnsw = InstanceType<typeof HierarchicalNSW>;

export interface VectorIndexOptions {
  dim: number;
  /** HNSW graph degree. */
  m: number;
  efConstruction: number;
  efSearch: number;
  /** Snapshot after this many changes since the last one (checked by `maybeSnapshot`). */
  snapshotEvery: number;
}

/** One search hit: the image id and its cosine similarity to the query (embeddings are L2-normalised). */
export interface VectorHit {
  id: number;
  score: number;
}

const manifestSchema = z.object({ seq: z.number().int().min(0), live: z.number().int().min(0), dim: z.number().int().min(1) }).strict();
type SnapshotManifest = z.infer<typeof manifestSchema>;

const SNAPSHOT_PATTERN = /^vectors-(\d+)\.json$/;
const INITIAL_CAPACITY = 1024;

function snapshotFiles(dir: string, seq: number): { graph: string; manifest: string } {
  return { graph: path.join(dir, `vectors-${seq}.hnsw`), manifest: path.join(dir, `vectors-${seq}.json`) };
}

/**
 * The HNSW vector index (hnswlib-node, inner product on L2-normalised embeddings) kept in step
 * with the SQLite store, which stays the source of truth. On disk it is a snapshot
 * (`vectors-<seq>.hnsw` + its manifest, both written to a temporary name, fsynced and renamed, the
 * manifest last) taken at change-log position `seq`; opening loads the newest complete snapshot and
 * replays the store's change log after it, or rebuilds from the stored vectors when no snapshot
 * fits. A process killed at any point therefore reopens to exactly the committed rows.
 */
export class VectorIndex {
  private readonly dir: string;
  private readonly store: MetadataStore;
  private readonly options: VectorIndexOptions;
  private readonly logger: Logger;
  private hnsw: Hnsw;
  private live = 0;
  private snapshotSeq = 0;

  private constructor(dir: string, store: MetadataStore, options: VectorIndexOptions, logger: Logger, hnsw: Hnsw) {
    this.dir = dir;
    this.store = store;
    this.options = options;
    this.logger = logger;
    this.hnsw = hnsw;
  }

  /** Open (or build) the index for the rows of `store`. */
  static async open(dir: string, store: MetadataStore, options: VectorIndexOptions, logger: Logger): Promise<VectorIndex> {
    await fs.mkdir(dir, { recursive: true });
    const index = new VectorIndex(dir, store, options, logger, VectorIndex.emptyHnsw(options, INITIAL_CAPACITY));
    const loaded = await index.loadSnapshot();
    if (!loaded) index.rebuild();
    return index;
  }

  private static emptyHnsw(options: VectorIndexOptions, capacity: number): Hnsw {
    const hnsw = new HierarchicalNSW('ip', options.dim);
    hnsw.initIndex({ maxElements: capacity, m: options.m, efConstruction: options.efConstruction, randomSeed: 100, allowReplaceDeleted: true });
    return hnsw;
  }

  /** Vectors searchable now. */
  get size(): number {
    return this.live;
  }

  /** Change-log position the latest snapshot covers. */
  get snapshotPosition(): number {
    return this.snapshotSeq;
  }

  /** Changes committed since the latest snapshot (replayed on the next start if no snapshot is taken). */
  get pendingChanges(): number {
    return this.store.lastSeq() - this.snapshotSeq;
  }

  /** The k nearest images to `query` [dim], best first. */
  search(query: Float32Array, k: number): VectorHit[] {
    if (query.length !== this.options.dim) throw new Error(`VectorIndex.search: query has ${query.length} values, the index holds ${this.options.dim}-dimensional vectors`);
    const count = Math.min(k, this.live);
    if (count < 1) return [];
    this.hnsw.setEf(Math.max(this.options.efSearch, count));
    const result = this.hnsw.searchKnn(Array.from(query), count);
    return result.neighbors.map((id, i) => ({ id, score: 1 - (result.distances[i] as number) }));
  }

  /** Add a vector the store has just committed under `id`. */
  add(id: number, vector: Float32Array): void {
    if (vector.length !== this.options.dim) throw new Error(`VectorIndex.add: vector ${id} has ${vector.length} values, expected ${this.options.dim}`);
    const wasLive = this.has(id);
    if (this.hnsw.getCurrentCount() >= this.hnsw.getMaxElements()) this.hnsw.resizeIndex(Math.max(INITIAL_CAPACITY, Math.ceil(this.hnsw.getMaxElements() * 1.5)));
    this.hnsw.addPoint(Array.from(vector), id, true);
    if (!wasLive) this.live += 1;
  }

  /** Remove a vector the store has just deleted (absent ids are ignored). */
  remove(id: number): void {
    if (!this.has(id)) return;
    this.hnsw.markDelete(id);
    this.live -= 1;
  }

  /** Whether `id` is searchable. */
  has(id: number): boolean {
    try {
      this.hnsw.getPoint(id);
      return true;
    } catch {
      return false;
    }
  }

  /** Snapshot if `snapshotEvery` changes have accumulated. */
  async maybeSnapshot(): Promise<boolean> {
    if (this.pendingChanges < this.options.snapshotEvery) return false;
    await this.snapshot();
    return true;
  }

  /**
   * Write a snapshot at the current change-log position. The caller must keep the index unchanged
   * until it resolves (the server holds its write lock).
   */
  async snapshot(): Promise<void> {
    const seq = this.store.lastSeq();
    if (seq === this.snapshotSeq && existsSync(snapshotFiles(this.dir, seq).manifest)) return;
    const files = snapshotFiles(this.dir, seq);
    const temporary = `${files.graph}.tmp`;
    await this.hnsw.writeIndex(temporary);
    await syncFile(temporary);
    await fs.rename(temporary, files.graph);
    const manifest: SnapshotManifest = { seq, live: this.live, dim: this.options.dim };
    // The manifest is the commit mark: a snapshot without one is ignored on open.
    await writeFileAtomic(files.manifest, JSON.stringify(manifest));
    await syncDirectory(this.dir);
    this.store.trimOps(seq);
    this.snapshotSeq = seq;
    await this.removeSnapshotsExcept(seq);
    this.logger.debug({ seq, vectors: this.live }, 'vector index snapshot written');
  }

  private async listSnapshots(): Promise<number[]> {
    const names = await fs.readdir(this.dir);
    return names
      .map((name) => SNAPSHOT_PATTERN.exec(name)?.[1])
      .filter((seq): seq is string => seq !== undefined)
      .map(Number)
      .sort((a, b) => b - a);
  }

  private async removeSnapshotsExcept(keep: number): Promise<void> {
    const names = await fs.readdir(this.dir);
    await Promise.all(
      names
        // Older snapshots, and temporary files a killed process left behind.
        .filter((name) => (/^vectors-\d+\.(hnsw|json)$/.test(name) && !name.startsWith(`vectors-${keep}.`)) || /^\.?vectors-.*\.tmp$/.test(name))
        .map((name) => fs.rm(path.join(this.dir, name), { force: true })),
    );
  }

  /** Load the newest usable snapshot and replay the change log after it; false when none fits. */
  private async loadSnapshot(): Promise<boolean> {
    const lastSeq = this.store.lastSeq();
    for (const seq of await this.listSnapshots()) {
      const files = snapshotFiles(this.dir, seq);
      const problem = await this.tryLoad(files, seq, lastSeq);
      if (problem === undefined) {
        await this.removeSnapshotsExcept(seq);
        return true;
      }
      this.logger.warn({ snapshot: files.manifest, problem }, 'vector index snapshot not used');
    }
    return false;
  }

  private async tryLoad(files: { graph: string; manifest: string }, seq: number, lastSeq: number): Promise<string | undefined> {
    let manifest: SnapshotManifest;
    try {
      manifest = manifestSchema.parse(JSON.parse(await fs.readFile(files.manifest, 'utf8')));
    } catch (error) {
      return `unreadable manifest (${error instanceof Error ? error.message : String(error)})`;
    }
    if (manifest.seq !== seq) return `manifest names position ${manifest.seq}, file name ${seq}`;
    if (manifest.dim !== this.options.dim) return `${manifest.dim}-dimensional, the model gives ${this.options.dim}`;
    if (seq > lastSeq) return `position ${seq} is ahead of the database (${lastSeq})`;
    const ops = this.store.opsAfter(seq);
    // The log must continue right after the snapshot (an older snapshot's changes may have been trimmed).
    if (ops.length !== lastSeq - seq || (ops.length > 0 && ops[0]?.seq !== seq + 1)) return `change log does not continue from position ${seq}`;
    const hnsw = new HierarchicalNSW('ip', this.options.dim);
    try {
      await hnsw.readIndex(files.graph, true);
    } catch (error) {
      return `unreadable graph (${error instanceof Error ? error.message : String(error)})`;
    }
    this.hnsw = hnsw;
    this.live = manifest.live;
    for (const op of ops) {
      if (op.op === 'delete') {
        this.remove(op.id);
        continue;
      }
      // A row added and deleted again after the snapshot is gone; its later delete is then a no-op.
      const vector = this.store.vector(op.id);
      if (vector !== undefined) this.add(op.id, vector);
    }
    const expected = this.store.count();
    if (this.live !== expected) return `holds ${this.live} vectors after replaying ${ops.length} changes, the database ${expected}`;
    this.snapshotSeq = seq;
    this.logger.info({ vectors: this.live, replayed: ops.length }, 'vector index loaded');
    return undefined;
  }

  /** Rebuild the graph from every stored vector. */
  private rebuild(): void {
    const count = this.store.count();
    this.hnsw = VectorIndex.emptyHnsw(this.options, Math.max(INITIAL_CAPACITY, Math.ceil(count * 1.25)));
    this.live = 0;
    this.snapshotSeq = 0;
    const started = Date.now();
    for (const { id, vector } of this.store.vectors()) this.add(id, vector);
    if (count > 0) this.logger.info({ vectors: this.live, seconds: (Date.now() - started) / 1000 }, 'vector index rebuilt from the database');
  }
}
