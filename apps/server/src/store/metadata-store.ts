import Database from 'better-sqlite3';

/** Bumped when the tables change shape; an index of another version is rebuilt. */
export const SCHEMA_VERSION = 1;

/** One indexed gallery image. `id` is also its label in the vector index. */
export interface ImageRecord {
  id: number;
  /** Path relative to the gallery folder, with `/` separators. */
  path: string;
  /** SHA-256 of the file's bytes, hex. */
  hash: string;
  size: number;
  mtimeMs: number;
  width: number;
  height: number;
  /** ISO time the row was written. */
  indexedAt: string;
}

/** A gallery file the indexer could not read (kept so it is not retried until it changes). */
export interface SkippedFile {
  path: string;
  size: number;
  mtimeMs: number;
  reason: string;
}

/** One entry of the change log the vector index replays after its last snapshot. */
export interface VectorOp {
  seq: number;
  op: 'add' | 'delete';
  id: number;
}

/** A new image row with its embedding (the store assigns `id` and `indexedAt`). */
export type NewImage = Omit<ImageRecord, 'id' | 'indexedAt'> & { vector: Float32Array };

interface ImageRow {
  id: number;
  path: string;
  hash: string;
  size: number;
  mtime_ms: number;
  width: number;
  height: number;
  indexed_at: string;
}

function toRecord(row: ImageRow): ImageRecord {
  return { id: row.id, path: row.path, hash: row.hash, size: row.size, mtimeMs: row.mtime_ms, width: row.width, height: row.height, indexedAt: row.indexed_at };
}

function vectorBlob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

function blobVector(blob: Buffer): Float32Array {
  // Copy: the blob's memory belongs to SQLite's row buffer and may not be 4-byte aligned.
  const copy = new Uint8Array(blob.byteLength);
  copy.set(blob);
  return new Float32Array(copy.buffer);
}

/**
 * The index's metadata and the source of truth for its vectors, in SQLite (WAL journal): image
 * rows with their embeddings, a change log (`vector_ops`) the HNSW snapshot is replayed from, the
 * caption embedding cache and the files that could not be read. Every mutation is one transaction
 * that changes rows and appends to the change log together, so a process killed at any moment
 * leaves a consistent database.
 */
export class MetadataStore {
  readonly file: string;
  private readonly db: Database.Database;

  constructor(file: string) {
    this.file = file;
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // NORMAL + WAL: a killed process loses nothing committed; a power cut may lose the last commits, never consistency.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS images (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        path TEXT NOT NULL UNIQUE,
        hash TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime_ms REAL NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        indexed_at TEXT NOT NULL,
        vector BLOB NOT NULL
      );
      CREATE INDEX IF NOT EXISTS images_hash ON images (hash);
      CREATE TABLE IF NOT EXISTS vector_ops (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        op TEXT NOT NULL CHECK (op IN ('add', 'delete')),
        id INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS skipped (path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ms REAL NOT NULL, reason TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS caption_vectors (hash TEXT PRIMARY KEY, vector BLOB NOT NULL);
    `);
  }

  getMeta(key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /**
   * Make the stored vectors belong to `fingerprint` (model) and `dim`: if another model or schema
   * wrote them, every image, cached caption and logged change is dropped (they must be re-embedded).
   * Returns whether anything was dropped.
   */
  claimFor(fingerprint: string, dim: number): boolean {
    return this.db.transaction(() => {
      const same = this.getMeta('schema_version') === String(SCHEMA_VERSION) && this.getMeta('model_fingerprint') === fingerprint && this.getMeta('embed_dim') === String(dim);
      const hadRows = this.count() > 0 || this.captionCacheSize() > 0;
      if (!same) {
        this.db.exec('DELETE FROM images; DELETE FROM vector_ops; DELETE FROM skipped; DELETE FROM caption_vectors;');
        this.setMeta('schema_version', String(SCHEMA_VERSION));
        this.setMeta('model_fingerprint', fingerprint);
        this.setMeta('embed_dim', String(dim));
      }
      return !same && hadRows;
    })();
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM images').get() as { n: number }).n;
  }

  get(id: number): ImageRecord | undefined {
    const row = this.db.prepare('SELECT id, path, hash, size, mtime_ms, width, height, indexed_at FROM images WHERE id = ?').get(id) as ImageRow | undefined;
    return row === undefined ? undefined : toRecord(row);
  }

  getByPath(relativePath: string): ImageRecord | undefined {
    const row = this.db.prepare('SELECT id, path, hash, size, mtime_ms, width, height, indexed_at FROM images WHERE path = ?').get(relativePath) as ImageRow | undefined;
    return row === undefined ? undefined : toRecord(row);
  }

  /** Rows by id, in the order asked (missing ids are left out). */
  getMany(ids: readonly number[]): ImageRecord[] {
    const statement = this.db.prepare('SELECT id, path, hash, size, mtime_ms, width, height, indexed_at FROM images WHERE id = ?');
    const out: ImageRecord[] = [];
    for (const id of ids) {
      const row = statement.get(id) as ImageRow | undefined;
      if (row !== undefined) out.push(toRecord(row));
    }
    return out;
  }

  /** Every row, ordered by path. */
  all(): ImageRecord[] {
    return (this.db.prepare('SELECT id, path, hash, size, mtime_ms, width, height, indexed_at FROM images ORDER BY path').all() as ImageRow[]).map(toRecord);
  }

  /** A page of rows ordered by path, optionally only paths starting with `prefix`. */
  page(offset: number, limit: number, prefix?: string): { total: number; items: ImageRecord[] } {
    const where = prefix === undefined ? '' : "WHERE substr(path, 1, length(?)) = ?";
    const args = prefix === undefined ? [] : [prefix, prefix];
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM images ${where}`).get(...args) as { n: number }).n;
    const rows = this.db.prepare(`SELECT id, path, hash, size, mtime_ms, width, height, indexed_at FROM images ${where} ORDER BY path LIMIT ? OFFSET ?`).all(...args, limit, offset) as ImageRow[];
    return { total, items: rows.map(toRecord) };
  }

  vector(id: number): Float32Array | undefined {
    const row = this.db.prepare('SELECT vector FROM images WHERE id = ?').get(id) as { vector: Buffer } | undefined;
    return row === undefined ? undefined : blobVector(row.vector);
  }

  /** Any row holding these bytes, with its vector (a copied or renamed file needs no new embedding). */
  byHash(hash: string): { record: ImageRecord; vector: Float32Array } | undefined {
    const row = this.db.prepare('SELECT id, path, hash, size, mtime_ms, width, height, indexed_at, vector FROM images WHERE hash = ? LIMIT 1').get(hash) as (ImageRow & { vector: Buffer }) | undefined;
    return row === undefined ? undefined : { record: toRecord(row), vector: blobVector(row.vector) };
  }

  /** Every (id, vector), in id order, a batch at a time (rebuilding the vector index). */
  *vectors(batch = 1024): Generator<{ id: number; vector: Float32Array }> {
    let after = -1;
    const statement = this.db.prepare('SELECT id, vector FROM images WHERE id > ? ORDER BY id LIMIT ?');
    for (;;) {
      const rows = statement.all(after, batch) as Array<{ id: number; vector: Buffer }>;
      for (const row of rows) yield { id: row.id, vector: blobVector(row.vector) };
      if (rows.length < batch) return;
      after = (rows[rows.length - 1] as { id: number }).id;
    }
  }

  /**
   * One atomic change: remove `removeIds`, insert `add` (new ids), update file stamps of rows whose
   * bytes did not change, and log the vector changes. Returns the inserted records in order.
   */
  apply(change: { add?: readonly NewImage[]; removeIds?: readonly number[]; touch?: ReadonlyArray<{ id: number; size: number; mtimeMs: number }>; clearSkipped?: readonly string[]; skip?: readonly SkippedFile[] }): ImageRecord[] {
    const insert = this.db.prepare('INSERT INTO images (path, hash, size, mtime_ms, width, height, indexed_at, vector) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    const remove = this.db.prepare('DELETE FROM images WHERE id = ?');
    const log = this.db.prepare('INSERT INTO vector_ops (op, id) VALUES (?, ?)');
    const touch = this.db.prepare('UPDATE images SET size = ?, mtime_ms = ? WHERE id = ?');
    const unskip = this.db.prepare('DELETE FROM skipped WHERE path = ?');
    const skip = this.db.prepare('INSERT INTO skipped (path, size, mtime_ms, reason) VALUES (?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, reason = excluded.reason');
    return this.db.transaction(() => {
      for (const id of change.removeIds ?? []) {
        if (remove.run(id).changes > 0) log.run('delete', id);
      }
      for (const item of change.touch ?? []) touch.run(item.size, item.mtimeMs, item.id);
      for (const item of change.clearSkipped ?? []) unskip.run(item);
      for (const item of change.skip ?? []) skip.run(item.path, item.size, item.mtimeMs, item.reason);
      const now = new Date().toISOString();
      const added: ImageRecord[] = [];
      for (const item of change.add ?? []) {
        unskip.run(item.path);
        const id = Number(insert.run(item.path, item.hash, item.size, item.mtimeMs, item.width, item.height, now, vectorBlob(item.vector)).lastInsertRowid);
        log.run('add', id);
        added.push({ id, path: item.path, hash: item.hash, size: item.size, mtimeMs: item.mtimeMs, width: item.width, height: item.height, indexedAt: now });
      }
      return added;
    })();
  }

  /** Sequence number of the latest logged vector change (0 when none). */
  lastSeq(): number {
    const row = this.db.prepare('SELECT MAX(seq) AS seq FROM vector_ops').get() as { seq: number | null };
    const logged = row.seq ?? 0;
    // AUTOINCREMENT keeps counting after the log is trimmed; sqlite_sequence remembers where.
    const sequence = this.db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'vector_ops'").get() as { seq: number } | undefined;
    return Math.max(logged, sequence?.seq ?? 0);
  }

  /** Logged changes after `seq`, in order. */
  opsAfter(seq: number): VectorOp[] {
    return this.db.prepare('SELECT seq, op, id FROM vector_ops WHERE seq > ? ORDER BY seq').all(seq) as VectorOp[];
  }

  /** Drop logged changes a snapshot now covers. */
  trimOps(upTo: number): void {
    this.db.prepare('DELETE FROM vector_ops WHERE seq <= ?').run(upTo);
  }

  skipped(): SkippedFile[] {
    return (this.db.prepare('SELECT path, size, mtime_ms, reason FROM skipped ORDER BY path').all() as Array<{ path: string; size: number; mtime_ms: number; reason: string }>).map((row) => ({
      path: row.path,
      size: row.size,
      mtimeMs: row.mtime_ms,
      reason: row.reason,
    }));
  }

  removeSkipped(paths: readonly string[]): void {
    const statement = this.db.prepare('DELETE FROM skipped WHERE path = ?');
    this.db.transaction(() => {
      for (const item of paths) statement.run(item);
    })();
  }

  captionCacheSize(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM caption_vectors').get() as { n: number }).n;
  }

  cachedCaptionVector(hash: string): Float32Array | undefined {
    const row = this.db.prepare('SELECT vector FROM caption_vectors WHERE hash = ?').get(hash) as { vector: Buffer } | undefined;
    return row === undefined ? undefined : blobVector(row.vector);
  }

  cacheCaptionVectors(entries: ReadonlyArray<{ hash: string; vector: Float32Array }>): void {
    const statement = this.db.prepare('INSERT OR REPLACE INTO caption_vectors (hash, vector) VALUES (?, ?)');
    this.db.transaction(() => {
      for (const entry of entries) statement.run(entry.hash, vectorBlob(entry.vector));
    })();
  }

  /** SQLite's own consistency check: `ok` or the problems found. */
  integrityCheck(): string {
    const rows = this.db.pragma('integrity_check') as Array<{ integrity_check: string }>;
    return rows.map((row) => row.integrity_check).join('; ');
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
