import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shardOf } from '../src/gallery/shard';
import { createServer, type HarmaServer } from '../src/server';
import { DEFAULT_LANCE_TUNING, LanceGalleryStore } from '../src/store/lance-gallery-store';
import { CLI, runCli } from './helpers/cli-child';
import { captureLogs } from './helpers/server-fixture';
import { tinyModelAndGallery } from './helpers/tiny-model';

const IMAGES = 240;

describe('the Lance store: kill -9, sharded indexing by several processes, readers of one table', () => {
  let root: string;
  let model: string;
  let gallery: string;
  let images: string[];
  let fingerprint: string;
  const logs = captureLogs();
  const silent = pino({ level: 'silent' });

  /** Every row of the table at `uri`, read by a fresh connection (as another machine would). */
  async function tableRows(uri: string): Promise<Array<{ id: number; path: string }>> {
    const store = await LanceGalleryStore.open({ ...DEFAULT_LANCE_TUNING, uri, fingerprint, dim: 32 }, silent);
    try {
      return (await store.all()).map((row) => ({ id: row.id, path: row.path }));
    } finally {
      await store.close();
    }
  }

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build @harma/server first (npx tsup in apps/server)`);
    ({ root, model, gallery, images } = await tinyModelAndGallery('harma-lance-', IMAGES));
    const probe = await createServer({ model, gallery, indexDir: path.join(root, 'probe'), port: 0, rateLimit: false, indexOnStart: false }, { logger: logs.logger });
    fingerprint = probe.encoder.fingerprint;
    await probe.close();
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('survives SIGKILL in the middle of indexing: the table is at its last commit, then indexing resumes without duplicates', async () => {
    const uri = path.join(root, 'killed-table');
    const base = ['--model', model, '--gallery', gallery, '--index-dir', path.join(root, 'killed-local'), '--store', 'lance', '--store-uri', uri, '--batch-size', '4', '--rate-limit', '0'];
    const run = await runCli(['serve', ...base, '--port', '0'], { signal: { name: 'SIGKILL', after: 40 } });
    expect(run.signal, JSON.stringify(run.lines.slice(-5))).toBe('SIGKILL');
    expect(run.lines.find((line) => line.msg === 'indexing gallery')).toMatchObject({ files: IMAGES, toCheck: IMAGES });

    // What the killed process committed opens cleanly, each path once.
    const committed = await tableRows(uri);
    expect(new Set(committed.map((row) => row.path)).size).toBe(committed.length);
    expect(committed.length).toBeGreaterThanOrEqual(run.doneAtSignal);
    expect(committed.length).toBeLessThan(IMAGES);

    const server: HarmaServer = await createServer({ model, gallery, indexDir: path.join(root, 'killed-local'), storeUri: uri, port: 0, rateLimit: false, batchSize: 8, indexOnStart: false }, { logger: logs.logger });
    try {
      expect(server.gallery.store.kind).toBe('lance');
      expect(server.gallery.size).toBe(committed.length);
      // Every committed row is searchable by its own vector.
      for (const row of committed.filter((_, i) => i % 9 === 0)) {
        const vector = (await server.gallery.store.vector(row.id)) as Float32Array;
        expect((await server.gallery.search(vector, 1))[0]).toMatchObject({ id: row.id, score: expect.closeTo(1, 4) });
      }
      await server.gallery.reindex();
      expect(server.gallery.progress).toMatchObject({ state: 'idle', total: IMAGES - committed.length, added: IMAGES - committed.length, updated: 0, skipped: 0 });
      expect(server.gallery.size).toBe(IMAGES);
      // The stored vectors are the model's embeddings of the files, before and after the kill.
      for (const file of [images[0], images[IMAGES - 1]] as string[]) {
        const prepared = await server.encoder.prepareImage(await readFile(path.join(gallery, file)), { name: file, maxPixels: 1e6 });
        const [expected] = await server.encoder.encodeImages([prepared]);
        const stored = (await server.gallery.store.vector((await server.gallery.store.getByPath(file))?.id as number)) as Float32Array;
        stored.forEach((value, i) => expect(value).toBeCloseTo((expected as Float32Array)[i] as number, 5));
      }
    } finally {
      await server.close();
    }
    const rows = await tableRows(uri);
    expect(rows).toHaveLength(IMAGES);
    expect(new Set(rows.map((row) => row.path))).toEqual(new Set(images));
  });

  it('two `index --shard` processes fill one table at once; a killed shard resumes; a serving reader sees the commits; no duplicates', async () => {
    const uri = path.join(root, 'shared-table');
    const local = (name: string): string[] => ['--index-dir', path.join(root, name)];
    const common = ['--model', model, '--gallery', gallery, '--store-uri', uri, '--batch-size', '8'];
    // A reader opened first, on an empty table, as `harma serve --no-index` on another machine would be.
    const reader = await createServer({ model, gallery, indexDir: path.join(root, 'reader'), storeUri: uri, port: 0, rateLimit: false, indexOnStart: false, lance: { refreshMs: 200 } }, { logger: logs.logger });
    try {
      expect(reader.gallery.size).toBe(0);
      const [first, second] = await Promise.all([runCli(['index', ...common, ...local('shard-0'), '--shard', '0/2']), runCli(['index', ...common, ...local('shard-1'), '--shard', '1/2'], { signal: { name: 'SIGKILL', after: 24 } })]);
      expect(first.exitCode, JSON.stringify(first.lines.slice(-5))).toBe(0);
      expect(second.signal, JSON.stringify(second.lines.slice(-5))).toBe('SIGKILL');
      const inShard = (index: number): string[] => images.filter((file) => shardOf(file, 2) === index);
      expect(first.lines.find((line) => line.msg === 'indexing gallery')).toMatchObject({ files: inShard(0).length, toCheck: inShard(0).length, shard: '0/2' });
      expect(first.lines.find((line) => line.msg === 'indexing done')).toMatchObject({ added: inShard(0).length });

      // The killed shard runs again and does only what it had not committed.
      const partial = (await tableRows(uri)).filter((row) => shardOf(row.path, 2) === 1).length;
      expect(partial).toBeGreaterThanOrEqual(second.doneAtSignal);
      const resumed = await runCli(['index', ...common, ...local('shard-1'), '--shard', '1/2']);
      expect(resumed.exitCode, JSON.stringify(resumed.lines.slice(-5))).toBe(0);
      expect(resumed.lines.find((line) => line.msg === 'indexing done')).toMatchObject({ added: inShard(1).length - partial, removed: 0 });

      const rows = await tableRows(uri);
      expect(rows).toHaveLength(IMAGES);
      expect(new Set(rows.map((row) => row.path))).toEqual(new Set(images));
      expect(new Set(rows.map((row) => row.id)).size).toBe(IMAGES);

      // The reader sees every commit within its refresh interval (200 ms here), and searches them.
      for (let wait = 0; wait < 50 && reader.gallery.size !== IMAGES; wait++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(reader.gallery.size).toBe(IMAGES);
      const target = (await reader.gallery.store.getByPath(images[7] as string))?.id as number;
      const vector = (await reader.gallery.store.vector(target)) as Float32Array;
      expect((await reader.gallery.search(vector, 1))[0]).toMatchObject({ id: target, path: images[7] });
      const page = await reader.gallery.store.page(0, 5);
      expect(page.total).toBe(IMAGES);
      expect(page.items.map((item) => item.path)).toEqual([...images].sort().slice(0, 5));

      // Everything is in: running both shards again changes nothing.
      const again = await Promise.all([0, 1].map((index) => runCli(['index', ...common, ...local(`shard-${index}`), '--shard', `${index}/2`])));
      for (const run of again) expect(run.lines.find((line) => line.msg === 'indexing done')).toMatchObject({ added: 0, updated: 0, removed: 0 });
      expect(await tableRows(uri)).toHaveLength(IMAGES);
    } finally {
      await reader.close();
    }
  });
});
