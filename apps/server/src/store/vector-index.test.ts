import { mkdtemp, readdir, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SeededRandom } from '@harma/core';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MetadataStore, type NewImage } from './metadata-store';
import { VectorIndex, type VectorIndexOptions } from './vector-index';

const DIM = 8;
const OPTIONS: VectorIndexOptions = { dim: DIM, m: 8, efConstruction: 64, efSearch: 64, snapshotEvery: 1_000_000 };
const silent = pino({ level: 'silent' });

function unitVector(rng: SeededRandom): Float32Array {
  const v = Float32Array.from({ length: DIM }, () => rng.normal());
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

function newImages(rng: SeededRandom, count: number, from: number): NewImage[] {
  return Array.from({ length: count }, (_, i) => ({ path: `img-${from + i}.png`, hash: `h${from + i}`, size: 1, mtimeMs: 1, width: 1, height: 1, vector: unitVector(rng) }));
}

/** Exact cosine ranking in double precision: the expectation the index must meet on a small set. */
function bruteForce(store: MetadataStore, query: Float32Array, k: number): number[] {
  return [...store.vectors()]
    .map(({ id, vector }) => ({ id, score: vector.reduce((sum, x, j) => sum + x * (query[j] as number), 0) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k)
    .map((hit) => hit.id);
}

describe('VectorIndex', () => {
  let dir: string;
  let store: MetadataStore;
  const rng = new SeededRandom('vector-index');

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'harma-vectors-'));
    store = new MetadataStore(path.join(dir, 'index.sqlite'));
    store.claimFor('test', DIM);
  });

  afterEach(async () => {
    store.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Commit rows and mirror them into the index, as the gallery does. */
  function add(index: VectorIndex, images: NewImage[]): void {
    store.apply({ add: images }).forEach((record, i) => index.add(record.id, (images[i] as NewImage).vector));
  }

  function remove(index: VectorIndex, ids: number[]): void {
    store.apply({ removeIds: ids });
    ids.forEach((id) => index.remove(id));
  }

  it('finds the exact nearest vectors with cosine scores, growing past its initial capacity', async () => {
    const index = await VectorIndex.open(path.join(dir, 'vectors'), store, OPTIONS, silent);
    expect(index.search(unitVector(rng), 5)).toEqual([]);
    add(index, newImages(rng, 1500, 0));
    expect(index.size).toBe(1500);
    for (let q = 0; q < 5; q++) {
      const query = unitVector(rng);
      const hits = index.search(query, 10);
      expect(hits.map((hit) => hit.id)).toEqual(bruteForce(store, query, 10));
      const first = store.vector(hits[0]?.id as number) as Float32Array;
      expect(hits[0]?.score).toBeCloseTo(first.reduce((sum, x, j) => sum + x * (query[j] as number), 0), 5);
    }
    // k above the number of vectors returns them all.
    remove(index, [...store.vectors()].slice(3).map((entry) => entry.id));
    expect(index.search(unitVector(rng), 10)).toHaveLength(3);
    expect(() => index.search(new Float32Array(3), 1)).toThrow('3 values');
  });

  it('reopens from a snapshot plus the change log written after it', async () => {
    const index = await VectorIndex.open(path.join(dir, 'vectors'), store, OPTIONS, silent);
    add(index, newImages(rng, 50, 0));
    await index.snapshot();
    expect(store.opsAfter(0)).toEqual([]);
    add(index, newImages(rng, 20, 50));
    remove(index, [3, 4, 55]);
    expect(index.pendingChanges).toBe(23);
    const reopened = await VectorIndex.open(path.join(dir, 'vectors'), store, OPTIONS, silent);
    expect(reopened.size).toBe(67);
    expect(reopened.has(3)).toBe(false);
    expect(reopened.has(55)).toBe(false);
    expect(reopened.has(70)).toBe(true);
    const query = unitVector(rng);
    expect(reopened.search(query, 8).map((hit) => hit.id)).toEqual(bruteForce(store, query, 8));
    expect(reopened.snapshotPosition).toBe(50);
  });

  it('ignores a snapshot whose manifest was never written (killed while snapshotting) and temporary files', async () => {
    const index = await VectorIndex.open(path.join(dir, 'vectors'), store, OPTIONS, silent);
    add(index, newImages(rng, 30, 0));
    await index.snapshot();
    add(index, newImages(rng, 10, 30));
    await index.snapshot();
    // The newest snapshot lost its manifest, as if killed between the graph's rename and the manifest's.
    await unlink(path.join(dir, 'vectors', 'vectors-40.json'));
    await writeFile(path.join(dir, 'vectors', 'vectors-41.hnsw.tmp'), 'half written');
    const reopened = await VectorIndex.open(path.join(dir, 'vectors'), store, OPTIONS, silent);
    // The change log after position 30 was trimmed by the lost snapshot: the index is rebuilt from the database.
    expect(reopened.size).toBe(40);
    const query = unitVector(rng);
    expect(reopened.search(query, 5).map((hit) => hit.id)).toEqual(bruteForce(store, query, 5));
    await reopened.snapshot();
    expect((await readdir(path.join(dir, 'vectors'))).sort()).toEqual(['vectors-40.hnsw', 'vectors-40.json']);
  });

  it('rebuilds from the database when the snapshot is corrupt or ahead of the database', async () => {
    const index = await VectorIndex.open(path.join(dir, 'vectors'), store, OPTIONS, silent);
    add(index, newImages(rng, 25, 0));
    await index.snapshot();
    await truncate(path.join(dir, 'vectors', 'vectors-25.hnsw'), 100);
    const rebuilt = await VectorIndex.open(path.join(dir, 'vectors'), store, OPTIONS, silent);
    expect(rebuilt.size).toBe(25);
    await rebuilt.snapshot();
    // A snapshot from a later database (the SQLite file was replaced by an older copy).
    await writeFile(path.join(dir, 'vectors', 'vectors-25.json'), JSON.stringify({ seq: 99, live: 25, dim: DIM }));
    const again = await VectorIndex.open(path.join(dir, 'vectors'), store, OPTIONS, silent);
    expect(again.size).toBe(25);
    const query = unitVector(rng);
    expect(again.search(query, 5).map((hit) => hit.id)).toEqual(bruteForce(store, query, 5));
  });

  it('snapshots by itself once snapshotEvery changes have accumulated', async () => {
    const index = await VectorIndex.open(path.join(dir, 'vectors'), store, { ...OPTIONS, snapshotEvery: 10 }, silent);
    add(index, newImages(rng, 9, 0));
    expect(await index.maybeSnapshot()).toBe(false);
    add(index, newImages(rng, 1, 9));
    expect(await index.maybeSnapshot()).toBe(true);
    expect(index.pendingChanges).toBe(0);
    expect(index.snapshotPosition).toBe(10);
  });
});
