import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SeededRandom } from '@harma/core';
import { hostTopK } from '@harma/metrics';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LANCE_TUNING, LanceGalleryStore, type LanceStoreOptions } from './lance-gallery-store';
import { shardOf } from '../gallery/shard';
import { imageId } from './lance-rows';
import type { NewImage } from './metadata-store';

const DIM = 32;
const logger = pino({ level: 'silent' });

/** Unit vectors around 16 centres: neighbours are meaningful, so recall is too. */
function clustered(count: number, seed: string): Float32Array[] {
  const world = new SeededRandom('lance-store-test-world');
  const centres = Array.from({ length: 16 }, () => Float32Array.from({ length: DIM }, () => world.normal()));
  const rng = new SeededRandom(seed);
  return Array.from({ length: count }, () => {
    const centre = centres[Math.floor(rng.uniform() * centres.length)] as Float32Array;
    const v = Float32Array.from(centre, (x) => x + rng.normal() * 0.35);
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
}

function rows(vectors: readonly Float32Array[], prefix: string): NewImage[] {
  return vectors.map((vector, i) => ({ path: `${prefix}/${String(i).padStart(4, '0')}.png`, hash: `${prefix}-${i}`, size: 100 + i, mtimeMs: 1000 + i, width: 64, height: 48, vector }));
}

describe('LanceGalleryStore', () => {
  let dir: string;
  let options: LanceStoreOptions;
  let store: LanceGalleryStore;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'harma-lance-store-'));
    options = { ...DEFAULT_LANCE_TUNING, uri: path.join(dir, 'db'), fingerprint: 'model-a', dim: DIM, indexMinRows: 600, indexBatchRows: 100, refreshMs: 0 };
    store = await LanceGalleryStore.open(options, logger);
  });

  afterAll(async () => {
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores rows keyed by path with ids from path and content hash, searches exactly below the index size', async () => {
    const vectors = clustered(400, 'first');
    const added = await store.apply({ add: rows(vectors, 'a') });
    expect(added).toHaveLength(400);
    expect(added[0]).toMatchObject({ id: imageId('a/0000.png', 'a-0'), path: 'a/0000.png', hash: 'a-0', size: 100, mtimeMs: 1000, width: 64, height: 48 });
    expect(store.size).toBe(400);
    await store.maintain();
    expect(store.pendingChanges).toBe(400);
    const hits = await store.search(vectors[7] as Float32Array, 5);
    expect(hits[0]).toMatchObject({ path: 'a/0007.png', score: expect.closeTo(1, 5) });
    expect(Array.from((await store.vector(added[7]?.id as number)) ?? [])).toEqual(Array.from(vectors[7] as Float32Array));
    expect(await store.byHash('a-9')).toMatchObject({ record: { path: 'a/0009.png' } });
    expect(await store.get(123)).toBeUndefined();
  });

  it('builds an IVF-PQ index at indexMinRows, re-ranks exactly (recall@10 ≥ 0.9 on clustered data), folds later rows in', async () => {
    await store.apply({ add: rows(clustered(300, 'second'), 'b') });
    await store.maintain();
    expect(store.pendingChanges).toBe(0);
    const all: Float32Array[] = [];
    const ids: number[] = [];
    for await (const { id, vector } of store.vectors()) {
      ids.push(id);
      all.push(vector);
    }
    expect(all).toHaveLength(700);
    const matrix = new Float32Array(all.length * DIM);
    all.forEach((vector, i) => matrix.set(vector, i * DIM));
    let found = 0;
    const queries = clustered(40, 'queries');
    for (const query of queries) {
      const exact = new Set(hostTopK(matrix, DIM, query, 10).map((hit) => ids[hit.index]));
      const hits = await store.search(query, 10);
      expect(hits).toHaveLength(10);
      // Re-ranked on the stored vectors: the scores are exact cosine similarities.
      for (const hit of hits.slice(0, 3)) {
        const vector = all[ids.indexOf(hit.id)] as Float32Array;
        expect(hit.score).toBeCloseTo(vector.reduce((sum, x, i) => sum + x * (query[i] as number), 0), 4);
      }
      found += hits.filter((hit) => exact.has(hit.id)).length;
    }
    expect(found / (queries.length * 10)).toBeGreaterThanOrEqual(0.9);

    // New rows are searchable at once (outside the index, searched exactly), then folded in.
    const late = clustered(120, 'late');
    await store.apply({ add: rows(late, 'c') });
    expect(store.pendingChanges).toBe(120);
    expect((await store.search(late[3] as Float32Array, 1))[0]).toMatchObject({ path: 'c/0003.png' });
    await store.maintain();
    expect(store.pendingChanges).toBe(0);
    expect(store.size).toBe(820);
  });

  it('replaces a changed file\'s row, updates stamps, removes rows: never a duplicate path', async () => {
    const before = await store.getByPath('a/0001.png');
    const [replaced] = await store.apply({ add: [{ path: 'a/0001.png', hash: 'a-1-new', size: 5, mtimeMs: 6, width: 1, height: 2, vector: clustered(1, 'new')[0] as Float32Array }] });
    expect(replaced?.id).not.toBe(before?.id);
    expect(await store.get(before?.id as number)).toBeUndefined();
    expect(store.size).toBe(820);
    const touched = await store.getByPath('a/0002.png');
    await store.apply({ touch: [{ id: touched?.id as number, size: 77, mtimeMs: 88 }] });
    expect(await store.getByPath('a/0002.png')).toMatchObject({ id: touched?.id, size: 77, mtimeMs: 88 });
    await store.apply({ removeIds: [touched?.id as number] });
    expect(await store.getByPath('a/0002.png')).toBeUndefined();
    expect(store.size).toBe(819);
    const paths = (await store.all()).map((row) => row.path);
    expect(new Set(paths).size).toBe(paths.length);
    expect(paths).toEqual([...paths].sort());
  });

  it('pages by path with a prefix, and quotes in names stay inside their SQL literal', async () => {
    await store.apply({ add: [{ path: "q/it's a 'quote' OR 1=1.png", hash: 'quote', size: 1, mtimeMs: 1, width: 1, height: 1, vector: clustered(1, 'q')[0] as Float32Array }] });
    expect(await store.getByPath("q/it's a 'quote' OR 1=1.png")).toMatchObject({ hash: 'quote' });
    expect(await store.getByPath("nothing' OR '1'='1")).toBeUndefined();
    const page = await store.page(2, 3, 'b/');
    expect(page.total).toBe(300);
    expect(page.items.map((row) => row.path)).toEqual(['b/0002.png', 'b/0003.png', 'b/0004.png']);
    expect((await store.page(0, 5, 'zzz')).total).toBe(0);
  });

  it('selects a shard\'s rows in the table (by the stored path key), each row in exactly one shard', async () => {
    const all = await store.all();
    const shards = await Promise.all([0, 1, 2].map((index) => store.all({ index, count: 3 })));
    shards.forEach((rows, index) => {
      expect(rows.length).toBeGreaterThan(200);
      for (const row of rows) expect(shardOf(row.path, 3)).toBe(index);
    });
    expect(shards.flat().map((row) => row.path).sort()).toEqual(all.map((row) => row.path));
  });

  it('keeps skipped files and caption embeddings', async () => {
    await store.apply({ skip: [{ path: 'x/bad.png', size: 3, mtimeMs: 4, reason: 'not a readable image' }] });
    expect(await store.skipped()).toEqual([{ path: 'x/bad.png', size: 3, mtimeMs: 4, reason: 'not a readable image' }]);
    await store.apply({ add: rows(clustered(1, 'fixed'), 'x').map((row) => ({ ...row, path: 'x/bad.png' })) });
    expect(await store.skipped()).toEqual([]);
    const vector = clustered(1, 'caption')[0] as Float32Array;
    await store.cacheCaptionVectors([{ hash: 'h1', vector }]);
    expect(Array.from((await store.cachedCaptionVector('h1')) ?? [])).toEqual(Array.from(vector));
    expect(await store.cachedCaptionVector('h2')).toBeUndefined();
  });

  it('another process sees new commits; a table of another model is refused, not emptied', async () => {
    const reader = await LanceGalleryStore.open(options, logger);
    try {
      expect(reader.size).toBe(store.size);
      await store.apply({ add: rows(clustered(3, 'seen'), 'seen') });
      expect(await reader.getByPath('seen/0002.png')).toBeDefined();
      await reader.refresh();
      expect(reader.size).toBe(store.size);
    } finally {
      await reader.close();
    }
    await expect(LanceGalleryStore.open({ ...options, fingerprint: 'model-b' }, logger)).rejects.toThrow('was written by another model or version (harma.model_fingerprint is model-a, this server has model-b)');
    expect(store.size).toBeGreaterThan(800);
  });
});
