/**
 * How single-query latency and recall@10 of a Lance table grow with the partitions a query probes
 * (`nprobes` × the rows a partition holds = the PQ codes scanned): on the 1M table of
 * `bench/scale.ts`, 123 probes scan what the default `nprobes` of a 10M table scans, which is what
 * the 10M / 100M extrapolation in docs/scaling.md rests on. Prints one JSON line per setting.
 *
 *   vite-node bench/scale-probes.ts <store uri> <queries.json> [nprobes,…]   (default 20,60,123)
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import pino from 'pino';
import { DEFAULT_LANCE_TUNING, LanceGalleryStore, partitionsFor } from '../src/store/lance-gallery-store';
import type { QueryFile } from './scale-serve';
import { percentile, timeEach } from './timing';

const LATENCY_QUERIES = 300;
const K = 10;

const [uri, queryFile, settings = '20,60,123'] = process.argv.slice(2) as [string, string, string?];
const input = JSON.parse(await readFile(queryFile, 'utf8')) as QueryFile;
const queries = input.queries.map((query) => Float32Array.from(query));
for (const nprobes of settings.split(',').map(Number)) {
  const store = await LanceGalleryStore.open({ ...DEFAULT_LANCE_TUNING, uri, fingerprint: input.fingerprint, dim: input.dim, nprobes }, pino({ level: 'warn' }));
  try {
    await timeEach(30, (i) => store.search(queries[i % queries.length] as Float32Array, K));
    const times = await timeEach(Math.min(LATENCY_QUERIES, queries.length), (i) => store.search(queries[i] as Float32Array, K));
    let found = 0;
    for (const [q, truth] of input.truth.entries()) {
      const exact = new Set(truth);
      found += (await store.search(queries[q] as Float32Array, K)).filter((hit) => exact.has(hit.id)).length;
    }
    const partitions = partitionsFor(store.size);
    const rowsScanned = Math.round((Math.min(nprobes, partitions) / partitions) * store.size);
    process.stdout.write(`${JSON.stringify({ nprobes, partitions, rowsScanned, p50: percentile(times, 50), p99: percentile(times, 99), recall: found / (input.truth.length * K), loadAverage: os.loadavg()[0] })}\n`);
  } finally {
    await store.close();
  }
}
