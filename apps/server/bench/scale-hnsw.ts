/**
 * The hnswlib + SQLite half of `bench/scale.ts`, in its own process: builds the embedded store
 * (`SqliteGalleryStore`, the default) from the first `n` synthetic vectors of the same stream the
 * Lance half uses, reopens it as a server would, and measures build time, on-disk size, resident
 * memory, single-query latency, throughput (searches are synchronous: one at a time) and
 * recall@10 against an exact scan. Prints one JSON line.
 *
 *   vite-node bench/scale-hnsw.ts <n> <work folder>
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { hostTopK } from '@harma/metrics';
import pino from 'pino';
import { SqliteGalleryStore } from '../src/store/sqlite-gallery-store';
import type { NewImage } from '../src/store/metadata-store';
import { EmbeddingSource } from './embedding-source';
import { folderBytes } from './folder-bytes';
import { peakRssMiB, percentile, rssMiB, timeEach } from './timing';

const DIM = 512;
const K = 10;
const QUERIES = 1000;
const RECALL_QUERIES = 100;
const logger = pino({ level: 'warn' });
const vectorIndex = { m: 16, efConstruction: 100, efSearch: 128, snapshotEvery: 100_000_000 };

const count = Number(process.argv[2]);
const dir = path.join(process.argv[3] as string, `hnsw-${count}`);
await rm(dir, { recursive: true, force: true });
await mkdir(dir, { recursive: true });

const source = new EmbeddingSource('gallery', DIM);
const matrix = new Float32Array(count * DIM);
let store = await SqliteGalleryStore.open({ indexDir: dir, fingerprint: 'scale-bench', dim: DIM, vectorIndex }, logger);
const started = Date.now();
for (let start = 0; start < count; start += 2000) {
  const batch: NewImage[] = [];
  for (let i = start; i < Math.min(count, start + 2000); i++) {
    const vector = source.next();
    matrix.set(vector, i * DIM);
    batch.push({ path: `synthetic/${String(i).padStart(8, '0')}.png`, hash: `synthetic-${i}`, size: 0, mtimeMs: 0, width: 256, height: 256, vector });
  }
  await store.apply({ add: batch });
}
await store.flush();
const buildSeconds = (Date.now() - started) / 1000;
await store.close();
const diskBytes = await folderBytes(dir);

const rssBeforeOpen = rssMiB();
const opened = Date.now();
store = await SqliteGalleryStore.open({ indexDir: dir, fingerprint: 'scale-bench', dim: DIM, vectorIndex }, logger);
const openSeconds = (Date.now() - opened) / 1000;
const rssAfterOpen = rssMiB();
const queries = Array.from({ length: QUERIES }, (() => {
  const stream = new EmbeddingSource('queries', DIM);
  return () => stream.next();
})());
await timeEach(50, (i) => store.search(queries[i] as Float32Array, K));
const times = await timeEach(QUERIES, (i) => store.search(queries[i] as Float32Array, K));
const ids = (await store.all()).sort((a, b) => a.id - b.id).map((row) => row.id);
let found = 0;
for (let q = 0; q < RECALL_QUERIES; q++) {
  const exact = new Set(hostTopK(matrix, DIM, queries[q] as Float32Array, K).map((hit) => ids[hit.index]));
  found += (await store.search(queries[q] as Float32Array, K)).filter((hit) => exact.has(hit.id)).length;
}
const rows = store.size;
await store.close();
const meanMs = times.reduce((a, b) => a + b, 0) / times.length;
process.stdout.write(
  `${JSON.stringify({ rows, buildSeconds, diskBytes, openSeconds, rssBeforeOpen, rssAfterOpen, peakRss: peakRssMiB(), p50: percentile(times, 50), p99: percentile(times, 99), meanMs, recall: found / (RECALL_QUERIES * K), throughput: 1000 / meanMs })}\n`,
);
