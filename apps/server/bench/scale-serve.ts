/**
 * The serving half of `bench/scale.ts`, in its own process so that its memory is the serving
 * process's alone: opens a Lance table the way `harma serve --store lance` does, then measures
 * single-query latency, throughput with a few queries in flight, recall@10 against the exact
 * neighbours the parent computed, and resident memory. Prints one JSON line.
 *
 *   vite-node bench/scale-serve.ts <store uri> <queries.json>
 */
import { readFile } from 'node:fs/promises';
import pino from 'pino';
import { DEFAULT_LANCE_TUNING, LanceGalleryStore } from '../src/store/lance-gallery-store';
import { peakRssMiB, percentile, rssMiB, timeEach } from './timing';

const IN_FLIGHT = 4;
const THROUGHPUT_SECONDS = 10;
const K = 10;

export interface QueryFile {
  dim: number;
  fingerprint: string;
  queries: number[][];
  /** Exact top-10 ids of the first `truth.length` queries. */
  truth: number[][];
}

const [uri, queryFile] = process.argv.slice(2) as [string, string];
const input = JSON.parse(await readFile(queryFile, 'utf8')) as QueryFile;
const queries = input.queries.map((query) => Float32Array.from(query));
const rssBeforeOpen = rssMiB();
const opened = Date.now();
const store = await LanceGalleryStore.open({ ...DEFAULT_LANCE_TUNING, uri, fingerprint: input.fingerprint, dim: input.dim }, pino({ level: 'warn' }));
const openSeconds = (Date.now() - opened) / 1000;
const rssAfterOpen = rssMiB();

await timeEach(50, (i) => store.search(queries[i % queries.length] as Float32Array, K));
const times = await timeEach(queries.length, (i) => store.search(queries[i] as Float32Array, K));
const rssAfterLatency = rssMiB();

let found = 0;
for (const [q, truth] of input.truth.entries()) {
  const exact = new Set(truth);
  found += (await store.search(queries[q] as Float32Array, K)).filter((hit) => exact.has(hit.id)).length;
}

const rssAfterRecall = rssMiB();

// Throughput: IN_FLIGHT queries at a time (LanceDB searches on its own threads), bounded in time and count.
let done = 0;
const started = Date.now();
const until = started + THROUGHPUT_SECONDS * 1000;
await Promise.all(
  Array.from({ length: IN_FLIGHT }, async (_, worker) => {
    for (let i = worker; Date.now() < until && i < queries.length * 4; i += IN_FLIGHT) {
      await store.search(queries[i % queries.length] as Float32Array, K);
      done += 1;
    }
  }),
);
const throughput = done / ((Date.now() - started) / 1000);
const rows = store.size;
await store.close();
process.stdout.write(
  `${JSON.stringify({ rows, openSeconds, rssBeforeOpen, rssAfterOpen, rssAfterLatency, rssAfterRecall, rssAfterQueries: rssMiB(), peakRss: peakRssMiB(), p50: percentile(times, 50), p99: percentile(times, 99), meanMs: times.reduce((a, b) => a + b, 0) / times.length, recall: found / (input.truth.length * K), throughput, inFlight: IN_FLIGHT })}\n`,
);
