/**
 * Scale benchmark of the gallery stores: synthetic galleries of up to 1,000,000 clustered unit
 * vectors of 512 dimensions (`EmbeddingSource`, the load benchmark's generator), for
 *   - the Lance store (`--store lance`): build time (rows committed through `apply` in batches,
 *     then the IVF-PQ index built by `maintain`), on-disk size, and — in a separate serving
 *     process that opens the table as `harma serve` does — resident memory, single-query p50/p99,
 *     throughput with 4 queries in flight, recall@10 against an exact scan;
 *   - the hnswlib + SQLite store (the default) at the size where it fits a bench run, the same
 *     figures (its build is one thread, roughly linear in rows; its memory holds every vector).
 * Two Lance sizes give the measured growth the 10M / 100M extrapolation in docs/scaling.md rests on.
 * No network: everything is in-process or in child processes on this machine. Bounded in time:
 * phases that would start after HARMA_SCALE_MAX_MINUTES are skipped and say so. The load average
 * is recorded (the machine may be shared). Figures go to stdout and bench/results.json.
 *
 *   npm run bench:scale       (in apps/server)
 *   HARMA_SCALE_SIZES=100000,1000000 HARMA_SCALE_HNSW=100000 HARMA_SCALE_MAX_MINUTES=60 HARMA_SCALE_DIR=/tmp/x
 *   HARMA_SCALE_SIZES= HARMA_SCALE_HNSW=100000   (the hnswlib half alone; HARMA_SCALE_HNSW=0: the Lance half alone)
 */
import { spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { hostTopK } from '@harma/metrics';
import pino from 'pino';
import { benchResult, mergeResults, repositoryResultsFile, type BenchResult } from '@harma/bench-results';
import { DEFAULT_LANCE_TUNING, LanceGalleryStore, partitionsFor } from '../src/store/lance-gallery-store';
import { imageId } from '../src/store/lance-rows';
import type { NewImage } from '../src/store/metadata-store';
import { EmbeddingSource } from './embedding-source';
import { folderBytes } from './folder-bytes';

const DIM = 512;
const K = 10;
const QUERIES = 1000;
const RECALL_QUERIES = 100;
const INSERT_BATCH = 25_000;
const SIZES = (process.env.HARMA_SCALE_SIZES ?? '100000,1000000').split(',').filter((size) => size.trim() !== '').map(Number);
const HNSW_VECTORS = Number(process.env.HARMA_SCALE_HNSW ?? 100_000);
const DEADLINE = Date.now() + Number(process.env.HARMA_SCALE_MAX_MINUTES ?? 60) * 60_000;
const WORK = process.env.HARMA_SCALE_DIR ?? path.join(os.tmpdir(), 'harma-scale-bench');
const FINGERPRINT = 'scale-bench';
const logger = pino({ level: process.env.HARMA_LOG_LEVEL ?? 'warn' });

function load(): string {
  return os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
}

/** Run a bench script in its own process (its memory is its own) and parse the JSON line it prints. */
function child<T>(script: string, args: string[]): Promise<T> {
  const viteNode = path.join(path.dirname(createRequire(import.meta.url).resolve('vite-node/package.json')), 'vite-node.mjs');
  return new Promise((resolve, reject) => {
    const run = spawn(process.execPath, [viteNode, path.join(import.meta.dirname, script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    run.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    run.on('error', reject);
    run.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0) reject(new Error(`${script} exited with ${code}: ${out}`));
      else resolve(JSON.parse(line) as T);
    });
  });
}

interface ServeFigures {
  rows: number;
  openSeconds: number;
  rssBeforeOpen: number;
  rssAfterOpen: number;
  peakRss: number;
  rssAfterQueries: number;
  p50: number;
  p99: number;
  recall: number;
  throughput: number;
  inFlight: number;
}

async function lanceAt(size: number, results: BenchResult[]): Promise<void> {
  const uri = path.join(WORK, `lance-${size}`);
  await rm(uri, { recursive: true, force: true });
  const label = size >= 1_000_000 ? `${size / 1_000_000}m` : `${size / 1000}k`;
  console.log(`lance, ${size} vectors (load ${load()})`);
  const source = new EmbeddingSource('gallery', DIM);
  const matrix = new Float32Array(size * DIM);
  const ids = new Array<number>(size);
  const store = await LanceGalleryStore.open({ ...DEFAULT_LANCE_TUNING, uri, fingerprint: FINGERPRINT, dim: DIM }, logger);
  let insertSeconds = 0;
  let indexSeconds = 0;
  try {
    for (let start = 0; start < size; start += INSERT_BATCH) {
      const batch: NewImage[] = [];
      for (let i = start; i < Math.min(size, start + INSERT_BATCH); i++) {
        const vector = source.next();
        matrix.set(vector, i * DIM);
        const row = { path: `synthetic/${String(i).padStart(8, '0')}.png`, hash: `synthetic-${i}`, size: 0, mtimeMs: 0, width: 256, height: 256, vector };
        ids[i] = imageId(row.path, row.hash);
        batch.push(row);
      }
      const started = Date.now();
      await store.apply({ add: batch });
      insertSeconds += (Date.now() - started) / 1000;
      process.stdout.write(`\r  committed ${Math.min(size, start + INSERT_BATCH)} / ${size}`);
    }
    const started = Date.now();
    await store.maintain();
    indexSeconds = (Date.now() - started) / 1000;
    if (store.pendingChanges !== 0) throw new Error(`the index leaves ${store.pendingChanges} rows out`);
  } finally {
    await store.close();
  }
  const diskBytes = await folderBytes(uri);
  process.stdout.write(`\n  inserted in ${insertSeconds.toFixed(1)} s, IVF-PQ (${partitionsFor(size)} partitions) built in ${indexSeconds.toFixed(1)} s, ${(diskBytes / 2 ** 30).toFixed(2)} GiB on disk\n`);

  const queries = new EmbeddingSource('queries', DIM);
  const queryList = Array.from({ length: QUERIES }, () => queries.next());
  const truth = queryList.slice(0, RECALL_QUERIES).map((query) => hostTopK(matrix, DIM, query, K).map((hit) => ids[hit.index] as number));
  const queryFile = path.join(WORK, `queries-${size}.json`);
  await writeFile(queryFile, JSON.stringify({ dim: DIM, fingerprint: FINGERPRINT, queries: queryList.map((query) => Array.from(query)), truth }));
  const serve = await child<ServeFigures>('scale-serve.ts', [uri, queryFile]);
  console.log(`  served: p50 ${serve.p50.toFixed(1)} ms, p99 ${serve.p99.toFixed(1)} ms, ${serve.throughput.toFixed(0)} queries/s, recall@10 ${serve.recall.toFixed(3)}, peak RSS ${serve.peakRss.toFixed(0)} MiB (load ${load()})`);
  const prefix = `server.scale.lance.${label}`;
  results.push(
    benchResult(`${prefix}.insert-seconds`, insertSeconds, `s to commit ${size} rows (mergeInsert, ${INSERT_BATCH} a batch)`),
    benchResult(`${prefix}.index-seconds`, indexSeconds, `s to build the IVF-PQ index (${partitionsFor(size)} partitions, 32 sub-vectors, cosine)`),
    benchResult(`${prefix}.disk-bytes-per-vector`, diskBytes / size, 'bytes/vector on disk (table + index + all versions)', DIM * 4),
    benchResult(`${prefix}.serving-peak-rss`, serve.peakRss, 'MiB peak RSS of the serving process (vite-node included)', 1536),
    benchResult(`${prefix}.serving-rss-growth`, serve.rssAfterOpen - serve.rssBeforeOpen, 'MiB RSS growth when the table is opened'),
    benchResult(`${prefix}.serving-rss-after-queries`, serve.rssAfterQueries, 'MiB RSS of the serving process after all queries (caches warm)'),
    benchResult(`${prefix}.p50`, serve.p50, `ms single query, k = 10 (nprobes auto, refine ×${DEFAULT_LANCE_TUNING.refineFactor})`),
    benchResult(`${prefix}.p99`, serve.p99, 'ms single query, k = 10 (target as anchor)', 50),
    benchResult(`${prefix}.throughput`, serve.throughput, `queries/s, ${serve.inFlight} in flight`),
    benchResult(`${prefix}.recall-at-10`, serve.recall, 'recall@10 against the exact scan (target as anchor)', 0.95),
  );
}

interface HnswFigures {
  rows: number;
  buildSeconds: number;
  diskBytes: number;
  openSeconds: number;
  rssBeforeOpen: number;
  rssAfterOpen: number;
  p50: number;
  p99: number;
  recall: number;
  throughput: number;
}

async function hnswAt(size: number, results: BenchResult[]): Promise<void> {
  const label = size >= 1_000_000 ? `${size / 1_000_000}m` : `${size / 1000}k`;
  console.log(`hnswlib + SQLite, ${size} vectors (load ${load()})`);
  const figures = await child<HnswFigures>('scale-hnsw.ts', [String(size), WORK]);
  console.log(`  built in ${figures.buildSeconds.toFixed(1)} s, p50 ${figures.p50.toFixed(2)} ms, p99 ${figures.p99.toFixed(2)} ms, recall@10 ${figures.recall.toFixed(3)}, RSS +${(figures.rssAfterOpen - figures.rssBeforeOpen).toFixed(0)} MiB (load ${load()})`);
  const prefix = `server.scale.hnsw.${label}`;
  results.push(
    benchResult(`${prefix}.build-seconds`, figures.buildSeconds, 's to build (SQLite rows + HNSW inserts + snapshot, one thread)'),
    benchResult(`${prefix}.disk-bytes-per-vector`, figures.diskBytes / size, 'bytes/vector on disk (SQLite + HNSW snapshot)', DIM * 4),
    benchResult(`${prefix}.serving-rss-growth`, figures.rssAfterOpen - figures.rssBeforeOpen, 'MiB RSS growth when the index is opened'),
    benchResult(`${prefix}.open-seconds`, figures.openSeconds, 's to open (snapshot load)'),
    benchResult(`${prefix}.p50`, figures.p50, 'ms single query, k = 10'),
    benchResult(`${prefix}.p99`, figures.p99, 'ms single query, k = 10'),
    benchResult(`${prefix}.throughput`, figures.throughput, 'queries/s (synchronous: one at a time)'),
    benchResult(`${prefix}.recall-at-10`, figures.recall, 'recall@10 against the exact scan', 0.95),
  );
}

async function main(): Promise<void> {
  await mkdir(WORK, { recursive: true });
  const loadBefore = os.loadavg();
  console.log(`HarMA scale benchmark: Lance at ${SIZES.join(', ')} vectors, hnswlib at ${HNSW_VECTORS}, ${DIM}-d, k = ${K}; ${os.availableParallelism()} cores, load ${load()} (work folder ${WORK})`);
  const results: BenchResult[] = [];
  for (const size of SIZES) {
    if (Date.now() > DEADLINE) {
      console.log(`skipped lance at ${size}: past HARMA_SCALE_MAX_MINUTES`);
      continue;
    }
    await lanceAt(size, results);
  }
  if (HNSW_VECTORS > 0 && Date.now() < DEADLINE) await hnswAt(HNSW_VECTORS, results);
  else if (HNSW_VECTORS > 0) console.log('skipped hnswlib: past HARMA_SCALE_MAX_MINUTES');
  const loadAfter = os.loadavg();
  results.push(benchResult('server.scale.load-average-before', loadBefore[0] as number, `1-minute load average at the start (${os.availableParallelism()} cores)`), benchResult('server.scale.load-average-after', loadAfter[0] as number, '1-minute load average at the end'));
  const width = Math.max(...results.map((entry) => entry.name.length));
  for (const entry of results) {
    const anchor = entry.anchor === null ? '' : `   anchor ${entry.anchor}  ratio ${entry.ratio}`;
    console.log(`${entry.name.padEnd(width)}  ${String(entry.value).padStart(10)} ${entry.unit}${anchor}`);
  }
  await mergeResults(repositoryResultsFile(), results);
  console.log(`written to ${repositoryResultsFile()}; load average ${loadBefore.map((v) => v.toFixed(2)).join(' ')} at the start, ${load()} at the end`);
}

await main();
