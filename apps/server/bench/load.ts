/**
 * Load benchmark of the retrieval service: text queries against a 100k-vector gallery.
 *
 * The gallery is synthetic: 100,000 clustered unit vectors (512-d, like ViT-B/32 embeddings) are
 * written straight into the index (SQLite rows + HNSW), and a tiny real CLIP with HarMA adapters
 * (exported to ONNX, 512-d output) encodes the queries, so the HTTP path, tokenizer, ONNX Runtime,
 * HNSW search and JSON are all real. Measured:
 *   - index search alone (HNSW, k = 10): latency p50/p99 and queries/s, against an exact flat scan
 *     of the same vectors in the same process (the anchor), and HNSW recall@10 against it;
 *   - end to end over loopback HTTP with autocannon (POST /api/search/text): 1 connection
 *     (latency) and 16 connections (throughput), bounded in requests and seconds;
 *   - memory for 100k vectors (RSS growth when the index is opened) and open time.
 * The built index is cached in the OS temp folder between runs (HARMA_BENCH_FRESH=1 rebuilds and
 * also measures the build). Figures go to stdout and to bench/results.json at the repository root.
 *
 *   npm run bench            (in apps/server)
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import pino from 'pino';
import { hostTopK } from '@harma/metrics';
import { createServer, type HarmaServer } from '../src/server';
import type { NewImage } from '../src/store/metadata-store';
import { exportTinyModel } from '../test/helpers/tiny-model';
import { EmbeddingSource } from './embedding-source';
import { percentile, rssMiB, timeEach } from './timing';
import { benchResult, mergeResults, repositoryResultsFile, type BenchResult } from '@harma/bench-results';

const VECTORS = Number(process.env.HARMA_BENCH_VECTORS ?? 100_000);
const DIM = 512;
const SEARCH_QUERIES = 2000;
const FLAT_QUERIES = 50;
const RECALL_QUERIES = 200;
const K = 10;
const MAX_SECONDS_PER_RUN = 30;
const RESULTS_FILE = repositoryResultsFile();
const CACHE = path.join(os.tmpdir(), `harma-server-bench-v2-${VECTORS}x${DIM}`);
const logger = pino({ level: process.env.HARMA_LOG_LEVEL ?? 'warn' });

async function open(model: string): Promise<HarmaServer> {
  return createServer({ model, gallery: path.join(CACHE, 'gallery'), indexDir: path.join(CACHE, 'index'), port: 0, indexOnStart: false, rateLimit: false }, { logger });
}

/** Fill the index with VECTORS synthetic rows, unless the cached one already holds them. */
async function ensureIndex(model: string, results: BenchResult[]): Promise<void> {
  const server = await open(model);
  try {
    if (server.gallery.size === VECTORS) return;
    const { store } = server.gallery;
    if (server.gallery.size > 0) await store.apply({ removeIds: (await store.all()).map((row) => row.id) });
    const source = new EmbeddingSource('gallery');
    const started = Date.now();
    for (let start = 0; start < VECTORS; start += 2000) {
      const batch: NewImage[] = [];
      for (let i = start; i < Math.min(VECTORS, start + 2000); i++) {
        batch.push({ path: `synthetic/${String(i).padStart(6, '0')}.png`, hash: `synthetic-${i}`, size: 0, mtimeMs: 0, width: 256, height: 256, vector: source.next() });
      }
      await store.apply({ add: batch });
      process.stdout.write(`\r  building the index: ${Math.min(VECTORS, start + 2000)} / ${VECTORS}`);
    }
    await store.flush();
    const seconds = (Date.now() - started) / 1000;
    process.stdout.write(`\n  built in ${seconds.toFixed(1)} s\n`);
    results.push(benchResult('server.index.build-throughput', VECTORS / seconds, 'vectors/s (SQLite + HNSW insert)'));
  } finally {
    await server.close();
  }
}

function cannon(url: string, connections: number, amount: number, texts: readonly string[]): Promise<autocannon.Result> {
  let next = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections,
        amount,
        duration: MAX_SECONDS_PER_RUN,
        requests: [
          {
            method: 'POST',
            path: '/api/search/text',
            headers: { 'content-type': 'application/json' },
            setupRequest: (request) => ({ ...request, body: JSON.stringify({ query: texts[next++ % texts.length], k: K }) }),
          },
        ],
      },
      (error, result) => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(result);
      },
    );
    // autocannon ends at `amount` requests; this bounds the time as well.
    const timer = setTimeout(() => instance.stop(), MAX_SECONDS_PER_RUN * 1000);
  });
}

async function main(): Promise<void> {
  const results: BenchResult[] = [];
  if (process.env.HARMA_BENCH_FRESH === '1') await rm(CACHE, { recursive: true, force: true });
  await mkdir(path.join(CACHE, 'gallery'), { recursive: true });
  const model = path.join(CACHE, 'model');
  if (!existsSync(path.join(model, 'config.json'))) await exportTinyModel(model, { embedDim: DIM });
  console.log(`HarMA server load benchmark: ${VECTORS} vectors × ${DIM}, k = ${K}, ${os.availableParallelism()} cores (cache ${CACHE})`);
  await ensureIndex(model, results);

  // Memory and open time of the index (model and HTTP app included, a few MiB for the tiny model).
  const rssBefore = rssMiB();
  const opened = Date.now();
  const server = await open(model);
  const openSeconds = (Date.now() - opened) / 1000;
  const rssAfter = rssMiB();
  const snapshotFile = (await readdir(path.join(CACHE, 'index', 'vectors'))).find((name) => name.endsWith('.hnsw'));
  const snapshotBytes = (await stat(path.join(CACHE, 'index', 'vectors', snapshotFile ?? 'missing.hnsw'))).size;
  const sqliteBytes = (await stat(path.join(CACHE, 'index', 'index.sqlite'))).size;
  results.push(
    benchResult('server.index.open-seconds', openSeconds, `s to open ${VECTORS} vectors (snapshot load + checks)`),
    benchResult('server.index.rss-growth', rssAfter - rssBefore, `MiB RSS for ${VECTORS} vectors (open server)`),
    benchResult('server.index.snapshot-bytes-per-vector', snapshotBytes / VECTORS, 'bytes/vector (HNSW file)', DIM * 4),
    benchResult('server.index.sqlite-bytes-per-vector', sqliteBytes / VECTORS, 'bytes/vector (SQLite, vectors included)', DIM * 4),
  );
  try {
    const { gallery } = server;
    if (gallery.size !== VECTORS) throw new Error(`the index holds ${gallery.size} vectors, expected ${VECTORS}`);

    // Index search alone, against an exact flat scan of the same vectors.
    const queries = new EmbeddingSource('queries');
    const searchQueries = Array.from({ length: SEARCH_QUERIES }, () => queries.next());
    await timeEach(200, (i) => gallery.search(searchQueries[i] as Float32Array, K));
    const hnswTimes = await timeEach(SEARCH_QUERIES, (i) => gallery.search(searchQueries[i] as Float32Array, K));
    const matrix = new Float32Array(VECTORS * DIM);
    const ids: number[] = [];
    for await (const { id, vector } of gallery.store.vectors(4096)) {
      matrix.set(vector, ids.length * DIM);
      ids.push(id);
    }
    const flatTimes = await timeEach(FLAT_QUERIES, (i) => hostTopK(matrix, DIM, searchQueries[i] as Float32Array, K));
    let found = 0;
    for (let q = 0; q < RECALL_QUERIES; q++) {
      const query = searchQueries[q] as Float32Array;
      const exact = new Set(hostTopK(matrix, DIM, query, K).map((hit) => ids[hit.index]));
      found += (await gallery.search(query, K)).filter((hit) => exact.has(hit.id)).length;
    }
    const hnswMean = hnswTimes.reduce((a, b) => a + b, 0) / hnswTimes.length;
    const flatMean = flatTimes.reduce((a, b) => a + b, 0) / flatTimes.length;
    results.push(
      benchResult('server.search.hnsw-p50', percentile(hnswTimes, 50), 'ms (index search alone, flat scan as anchor)', percentile(flatTimes, 50)),
      benchResult('server.search.hnsw-p99', percentile(hnswTimes, 99), 'ms (index search alone, flat scan as anchor)', percentile(flatTimes, 99)),
      benchResult('server.search.hnsw-throughput', 1000 / hnswMean, 'queries/s, one thread (flat scan as anchor)', 1000 / flatMean),
      benchResult('server.search.hnsw-recall-at-10', found / (RECALL_QUERIES * K), 'recall@10 against the exact scan', 1),
    );

    // The text encoder alone (tokenizer + ONNX Runtime), one query per call.
    const texts = ['many planes are parked near the terminal', 'a river crosses a green forest', 'two bridges over a wide river', 'a port with ships and containers', 'dense residential buildings with roads', 'a baseball field next to a parking lot', 'storage tanks beside a factory', 'a farmland with square fields'];
    for (let i = 0; i < 50; i++) await server.encoder.encodeTexts([texts[i % texts.length] as string]);
    const encodeStarted = process.hrtime.bigint();
    for (let i = 0; i < 500; i++) await server.encoder.encodeTexts([texts[i % texts.length] as string]);
    const encodeMs = Number(process.hrtime.bigint() - encodeStarted) / 1e6 / 500;
    results.push(benchResult('server.encoder.tiny-text-latency', encodeMs, 'ms per query (tiny CLIP text tower on ONNX Runtime)'));

    // End to end over loopback HTTP.
    const url = await server.listen();
    await cannon(url, 4, 300, texts);
    const single = await cannon(url, 1, 2000, texts);
    const loaded = await cannon(url, 16, 8000, texts);
    for (const [label, run] of [['1-connection', single], ['16-connections', loaded]] as const) {
      if (run.non2xx > 0 || run.errors > 0) throw new Error(`${label}: ${run.non2xx} non-2xx answers and ${run.errors} errors`);
      results.push(
        benchResult(`server.http.text-search.${label}.throughput`, run.requests.average, 'requests/s (end to end, index search alone as anchor)', 1000 / hnswMean),
        benchResult(`server.http.text-search.${label}.p50`, run.latency.p50, 'ms (end to end)'),
        benchResult(`server.http.text-search.${label}.p99`, run.latency.p99, 'ms (end to end)'),
      );
      console.log(`  ${label}: ${run.requests.total} requests in ${run.duration.toFixed(1)} s`);
    }
    results.push(benchResult('server.http.rss-after-load', rssMiB(), 'MiB RSS after the load runs'));
  } finally {
    await server.close();
  }

  const width = Math.max(...results.map((entry) => entry.name.length));
  for (const entry of results) {
    const anchor = entry.anchor === null ? '' : `   anchor ${entry.anchor}  ratio ${entry.ratio}`;
    console.log(`${entry.name.padEnd(width)}  ${String(entry.value).padStart(10)} ${entry.unit}${anchor}`);
  }
  await mergeResults(RESULTS_FILE, results);
  console.log(`written to ${RESULTS_FILE}`);
}

await main();
