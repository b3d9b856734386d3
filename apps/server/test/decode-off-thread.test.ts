import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { widePng } from './helpers/hostile-cases';
import { serverFixture, type ServerFixture } from './helpers/server-fixture';

const PIXEL_LIMIT = 40_000_000;

/** A client in a worker thread: one warm-up request (then posts 'ready'), /healthz every 50 ms and a text search every fifth time, until told to stop; posts the latencies (ms). */
const POLLING_CLIENT = `
const { parentPort, workerData } = require('node:worker_threads');
let stop = false;
parentPort.on('message', () => { stop = true; });
(async () => {
  const health = [];
  const searches = [];
  const failures = [];
  // The thread's first fetch loads and compiles Node's HTTP client (100–200 ms on a busy machine): not the server's latency.
  await (await fetch(workerData.url + '/healthz')).arrayBuffer();
  parentPort.postMessage('ready');
  while (!stop) {
    const before = performance.now();
    const response = await fetch(workerData.url + '/healthz');
    await response.arrayBuffer();
    health.push(performance.now() - before);
    if (response.status !== 200) failures.push('healthz ' + response.status);
    if (health.length % 5 === 0) {
      const searchStarted = performance.now();
      const search = await fetch(workerData.url + '/api/search/text', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'a river', k: 2 }) });
      await search.arrayBuffer();
      searches.push(performance.now() - searchStarted);
      if (search.status !== 200) failures.push('search ' + search.status);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  parentPort.postMessage({ health, searches, failures });
})();
`;

describe('an image at the pixel limit is decoded off the main thread', () => {
  let fixture: ServerFixture;
  let url: string;

  beforeAll(async () => {
    fixture = await serverFixture({ images: 4 });
    expect(fixture.server.options.limits.maxImagePixels).toBe(PIXEL_LIMIT);
    await fixture.server.gallery.reindex();
    url = await fixture.server.listen();
  });

  afterAll(async () => {
    await fixture?.cleanup();
  });

  it(`/healthz answers within 200 ms and text searches go on while a ${PIXEL_LIMIT.toLocaleString('en')}×1 PNG is decoded`, async () => {
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(widePng(PIXEL_LIMIT))], { type: 'image/png' }), 'wide.png');
    // The client polls from its own thread: the server runs in this one, so a blocked event loop
    // here would also stop a client here from noticing.
    const client = new Worker(POLLING_CLIENT, { eval: true, workerData: { url } });
    const ready = new Promise<void>((resolve, reject) => {
      client.once('message', () => resolve());
      client.once('error', reject);
    });
    await ready;
    const report = new Promise<{ health: number[]; searches: number[]; failures: string[] }>((resolve, reject) => {
      client.once('message', resolve);
      client.once('error', reject);
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = performance.now();
    const response = await fetch(`${url}/api/search/image?k=1`, { method: 'POST', body: form });
    const seconds = (performance.now() - started) / 1000;
    client.postMessage('stop');
    const { health, searches, failures } = await report;
    await client.terminate();
    expect(failures).toEqual([]);
    expect(response.status, await response.clone().text()).toBe(200);
    expect((await response.json()) as unknown).toMatchObject({ results: [{ score: expect.any(Number) }] });
    // The decode took long enough to be seen, and never held up the event loop.
    expect(seconds, 'the wide PNG decoded too fast to test anything').toBeGreaterThan(0.5);
    expect(health.length).toBeGreaterThanOrEqual(5);
    expect(Math.max(...health), `healthz latencies (ms): ${health.map((ms) => ms.toFixed(0)).join(' ')}`).toBeLessThan(200);
    expect(Math.max(...searches), `search latencies (ms): ${searches.map((ms) => ms.toFixed(0)).join(' ')}`).toBeLessThan(1000);
  });
});
