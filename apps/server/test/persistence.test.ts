import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultIndexDir } from '../src/gallery/index-location';
import { createServer, type HarmaServer } from '../src/server';
import { MetadataStore } from '../src/store/metadata-store';
import { CLI, runCli, type ChildRun } from './helpers/cli-child';
import { captureLogs } from './helpers/server-fixture';
import { writeTestImages } from './helpers/test-images';
import { exportTinyModel } from './helpers/tiny-model';

const IMAGES = 600;

/** Run `harma-server serve` on the folders and send `signal` once it has logged indexing progress of at least `after` images. */
function serveAndSignal(args: string[], env: NodeJS.ProcessEnv, signal: NodeJS.Signals, after: number): Promise<ChildRun> {
  return runCli(['serve', ...args], { env, signal: { name: signal, after }, timeoutMs: 60_000 });
}

describe('the index on disk', () => {
  let root: string;
  let model: string;
  let gallery: string;
  let images: string[];
  /** The child's user cache (never the real one), and so where its index goes by default. */
  let cacheEnv: NodeJS.ProcessEnv;
  let indexDir: string;
  const logs = captureLogs();
  const open = (overrides: Record<string, unknown> = {}): Promise<HarmaServer> => createServer({ model, gallery, indexDir, port: 0, rateLimit: false, batchSize: 8, ...overrides }, { logger: logs.logger });

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build @harma/server first (npx tsup in apps/server)`);
    root = await mkdtemp(path.join(os.tmpdir(), 'harma-persistence-'));
    model = await exportTinyModel(path.join(root, 'model'));
    gallery = path.join(root, 'gallery');
    images = await writeTestImages(gallery, IMAGES);
    cacheEnv = { XDG_CACHE_HOME: path.join(root, 'cache') };
    indexDir = defaultIndexDir(gallery, cacheEnv);
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('survives SIGKILL in the middle of indexing: consistent on restart, then resumes where it stopped', async () => {
    const run = await serveAndSignal(['--model', model, '--gallery', gallery, '--port', '0', '--batch-size', '4', '--rate-limit', '0'], cacheEnv, 'SIGKILL', 40);
    expect(run.signal, JSON.stringify(run.lines.slice(-5))).toBe('SIGKILL');
    expect(run.lines.find((line) => line.msg === 'indexing gallery')).toMatchObject({ files: IMAGES, toCheck: IMAGES });
    // By default the index is in the user's cache, keyed by the gallery, and the log says so; the image folder holds images only.
    expect(indexDir.startsWith(path.join(root, 'cache', 'harma', 'index'))).toBe(true);
    expect(run.lines.find((line) => line.indexDir !== undefined)).toMatchObject({ msg: `the index of ${gallery} is in ${indexDir}`, gallery, indexDir });
    expect(existsSync(path.join(gallery, '.harma-index'))).toBe(false);

    // The database as the killed process left it (its lock file is still there).
    expect(existsSync(path.join(indexDir, 'server.lock'))).toBe(true);
    const store = new MetadataStore(path.join(indexDir, 'index.sqlite'));
    const committed = store.count();
    expect(store.integrityCheck()).toBe('ok');
    store.close();
    expect(committed).toBeGreaterThanOrEqual(run.doneAtSignal);
    expect(committed).toBeLessThan(IMAGES);

    const server = await open();
    try {
      // Every committed row is searchable, and nothing else: the vector index matches the database.
      expect(server.gallery.size).toBe(committed);
      const rows = await server.gallery.store.all();
      for (const row of rows.filter((_, i) => i % 7 === 0)) {
        const vector = (await server.gallery.store.vector(row.id)) as Float32Array;
        expect((await server.gallery.search(vector, 1))[0]).toMatchObject({ id: row.id, score: expect.closeTo(1, 4) });
      }
      await server.gallery.reindex();
      expect(server.gallery.progress).toMatchObject({ state: 'idle', total: IMAGES - committed, added: IMAGES - committed, updated: 0, skipped: 0 });
      expect(server.gallery.size).toBe(IMAGES);
      expect(new Set((await server.gallery.store.all()).map((row) => row.path))).toEqual(new Set(images));
      // The stored vectors are the model's embeddings of the files, before and after the kill.
      for (const file of [images[0], images[run.doneAtSignal - 1], images[IMAGES - 1]] as string[]) {
        const prepared = await server.encoder.prepareImage(await readFile(path.join(gallery, file)), { name: file, maxPixels: 1e6 });
        const [expected] = await server.encoder.encodeImages([prepared]);
        const stored = (await server.gallery.store.vector((await server.gallery.store.getByPath(file))?.id as number)) as Float32Array;
        stored.forEach((value, i) => expect(value).toBeCloseTo((expected as Float32Array)[i] as number, 5));
      }
      await expect(open()).rejects.toThrow(`is in use by process ${process.pid}`);
    } finally {
      await server.close();
    }
  });

  it('stops at a batch boundary on SIGTERM, saving a snapshot so the next start replays nothing', async () => {
    await rm(indexDir, { recursive: true, force: true });
    const run = await serveAndSignal(['--model', model, '--gallery', gallery, '--port', '0', '--batch-size', '4', '--rate-limit', '0'], cacheEnv, 'SIGTERM', 20);
    expect(run.exitCode, JSON.stringify(run.lines.slice(-5))).toBe(0);
    expect(run.lines.some((line) => line.msg === 'indexing stopped; the next start resumes it')).toBe(true);
    expect(existsSync(path.join(indexDir, 'server.lock'))).toBe(false);
    const store = new MetadataStore(path.join(indexDir, 'index.sqlite'));
    const committed = store.count();
    expect(store.opsAfter(0)).toEqual([]);
    expect(await readdir(path.join(indexDir, 'vectors'))).toEqual([`vectors-${store.lastSeq()}.hnsw`, `vectors-${store.lastSeq()}.json`]);
    store.close();
    expect(committed).toBeGreaterThan(0);
    expect(committed).toBeLessThan(IMAGES);
  });

  it('restarts without re-embedding, and re-embeds everything for another model', async () => {
    let server = await open();
    await server.gallery.reindex();
    expect(server.gallery.size).toBe(IMAGES);
    await server.close();

    server = await open();
    try {
      expect(server.gallery.size).toBe(IMAGES);
      expect(server.gallery.store.pendingChanges).toBe(0);
      await server.gallery.reindex();
      expect(server.gallery.progress).toMatchObject({ total: 0, added: 0 });
    } finally {
      await server.close();
    }

    const otherModel = await exportTinyModel(path.join(root, 'other-model'), { seed: 99 });
    server = await open({ model: otherModel });
    try {
      expect(logs.lines.some((line) => line.msg === 'the index was built by another model: every image will be embedded again')).toBe(true);
      expect(server.gallery.size).toBe(0);
      await server.gallery.reindex();
      expect(server.gallery.progress).toMatchObject({ total: IMAGES, added: IMAGES });
    } finally {
      await server.close();
    }
  });

  it('keeps using an index an earlier version wrote into <gallery>/.harma-index', async () => {
    await rename(indexDir, path.join(gallery, '.harma-index'));
    // No index folder given: the one in the gallery is found (the user cache is not consulted).
    const server = await createServer({ model: path.join(root, 'other-model'), gallery, port: 0, rateLimit: false }, { logger: logs.logger });
    try {
      expect(server.options.indexDir).toBe(path.join(gallery, '.harma-index'));
      expect(server.gallery.size).toBe(IMAGES);
      await server.gallery.reindex();
      expect(server.gallery.progress).toMatchObject({ total: 0, added: 0 });
    } finally {
      await server.close();
    }
  });
});
