import { createHash } from 'node:crypto';
import type { Field as ArrowField, Schema, Table, Vector } from 'apache-arrow';
import { pathKey } from '../gallery/shard';
import { arrow } from './lance-arrow';
import type { ImageRecord, SkippedFile } from './metadata-store';

const { Field, FixedSizeList, Float32, Float64, Int32, Int64, makeData, makeVector, RecordBatch, Struct, Utf8, vectorFromArray } = arrow;

/** Bumped when the Lance tables change shape; a table of another version is refused. */
export const LANCE_SCHEMA_VERSION = '1';

/** Schema metadata keys naming what wrote a table. */
export const LANCE_META = { schemaVersion: 'harma.schema_version', fingerprint: 'harma.model_fingerprint', dim: 'harma.embed_dim' } as const;

/** Image columns without the vector: what listings and searches read. */
export const IMAGE_COLUMNS = ['id', 'path', 'hash', 'size', 'mtime_ms', 'width', 'height', 'indexed_at'] as const;

/** An image row with its embedding, as the `images` table stores it. */
export interface LanceImageRow extends ImageRecord {
  vector: Float32Array;
}

function vectorField(name: string, dim: number): ArrowField {
  return new Field(name, new FixedSizeList(dim, new Field('item', new Float32(), true)), false);
}

/** The `images` table: one row per gallery file, its embedding beside its metadata; `metadata` names the model. */
export function imageSchema(dim: number, metadata: ReadonlyMap<string, string>): Schema {
  return new arrow.Schema(
    [
      new Field('id', new Int64(), false),
      new Field('path', new Utf8(), false),
      // The path's shard key (`pathKey`): `path_key % n = i` selects shard i of n.
      new Field('path_key', new Int64(), false),
      new Field('hash', new Utf8(), false),
      new Field('size', new Float64(), false),
      new Field('mtime_ms', new Float64(), false),
      new Field('width', new Int32(), false),
      new Field('height', new Int32(), false),
      new Field('indexed_at', new Utf8(), false),
      vectorField('vector', dim),
    ],
    new Map(metadata),
  );
}

export function skippedSchema(): Schema {
  return new arrow.Schema([new Field('path', new Utf8(), false), new Field('size', new Float64(), false), new Field('mtime_ms', new Float64(), false), new Field('reason', new Utf8(), false)]);
}

export function captionSchema(dim: number): Schema {
  return new arrow.Schema([new Field('hash', new Utf8(), false), vectorField('vector', dim)]);
}

/**
 * The image id of a row: 53 bits of SHA-256(path, content hash), so that every writer of a shared
 * table, on any machine, gives one file the same id without coordination, and changed bytes get a
 * new id (as the SQLite store's new row does). Two different rows share an id with probability
 * about n² / 2^54 (1e-4 at a million rows, 0.5 at a hundred million); rows are keyed by path, so
 * such a pair makes `GET /api/gallery/:id` show one of the two and a delete by id remove both
 * (the next indexing run adds the file that is still there again); searches are unaffected.
 */
export function imageId(relativePath: string, hash: string): number {
  const digest = createHash('sha256').update(relativePath).update('\0').update(hash).digest();
  const id = (digest.readUIntBE(0, 6) * 32 + ((digest[6] as number) >> 3)) % Number.MAX_SAFE_INTEGER;
  return id === 0 ? 1 : id;
}

/** A SQL string literal (filters are SQL; a quote in a file name must not end the literal). */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** `column IN (…)` for string values. */
export function sqlIn(column: string, values: readonly string[]): string {
  return `${column} IN (${values.map(sqlString).join(', ')})`;
}

/** `column IN (…)` for integer values. */
export function sqlInNumbers(column: string, values: readonly number[]): string {
  return `${column} IN (${values.map((value) => String(Math.trunc(value))).join(', ')})`;
}

function vectorColumn(rows: ReadonlyArray<{ vector: Float32Array }>, dim: number): Vector {
  const values = new Float32Array(rows.length * dim);
  rows.forEach((row, i) => {
    if (row.vector.length !== dim) throw new Error(`a vector has ${row.vector.length} values, the table holds ${dim}-dimensional vectors`);
    values.set(row.vector, i * dim);
  });
  const type = new FixedSizeList(dim, new Field('item', new Float32(), true));
  const child = makeData({ type: new Float32(), length: values.length, data: values });
  return makeVector(makeData({ type, length: rows.length, child }));
}

function tableOf(schema: Schema, columns: Record<string, Vector>, length: number): Table {
  const children = schema.fields.map((field) => (columns[field.name] as Vector).data[0]);
  const struct = makeData({ type: new Struct(schema.fields), length, children: children as never });
  return new arrow.Table(schema, [new RecordBatch(schema, struct)]);
}

/** Image rows as an Arrow table of `schema` (vectors copied into one contiguous buffer). */
export function imageTable(schema: Schema, rows: readonly LanceImageRow[], dim: number): Table {
  return tableOf(
    schema,
    {
      id: vectorFromArray(rows.map((row) => BigInt(row.id)), new Int64()),
      path: vectorFromArray(rows.map((row) => row.path), new Utf8()),
      path_key: vectorFromArray(rows.map((row) => BigInt(pathKey(row.path))), new Int64()),
      hash: vectorFromArray(rows.map((row) => row.hash), new Utf8()),
      size: vectorFromArray(rows.map((row) => row.size), new Float64()),
      mtime_ms: vectorFromArray(rows.map((row) => row.mtimeMs), new Float64()),
      width: vectorFromArray(rows.map((row) => row.width), new Int32()),
      height: vectorFromArray(rows.map((row) => row.height), new Int32()),
      indexed_at: vectorFromArray(rows.map((row) => row.indexedAt), new Utf8()),
      vector: vectorColumn(rows, dim),
    },
    rows.length,
  );
}

export function skippedTable(schema: Schema, rows: readonly SkippedFile[]): Table {
  return tableOf(
    schema,
    {
      path: vectorFromArray(rows.map((row) => row.path), new Utf8()),
      size: vectorFromArray(rows.map((row) => row.size), new Float64()),
      mtime_ms: vectorFromArray(rows.map((row) => row.mtimeMs), new Float64()),
      reason: vectorFromArray(rows.map((row) => row.reason), new Utf8()),
    },
    rows.length,
  );
}

export function captionTable(schema: Schema, rows: ReadonlyArray<{ hash: string; vector: Float32Array }>, dim: number): Table {
  return tableOf(schema, { hash: vectorFromArray(rows.map((row) => row.hash), new Utf8()), vector: vectorColumn(rows, dim) }, rows.length);
}

/** A row object as LanceDB returns it (bigint ids, Arrow vectors). */
type RawRow = Record<string, unknown>;

/** The Float32Array of a returned vector cell (copied: the Arrow buffer belongs to the batch). */
export function readVector(cell: unknown): Float32Array {
  const array = (cell as { toArray(): ArrayLike<number> }).toArray();
  return Float32Array.from(array);
}

export function readImageRecord(row: RawRow): ImageRecord {
  return {
    id: Number(row.id as bigint | number),
    path: row.path as string,
    hash: row.hash as string,
    size: row.size as number,
    mtimeMs: row.mtime_ms as number,
    width: row.width as number,
    height: row.height as number,
    indexedAt: row.indexed_at as string,
  };
}

export function readSkipped(row: RawRow): SkippedFile {
  return { path: row.path as string, size: row.size as number, mtimeMs: row.mtime_ms as number, reason: row.reason as string };
}
