/// <reference lib="dom" />
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SeededRandom } from '@harma/core';
import { normalizeCaption, syntheticVocabulary } from '@harma/data';
import { loadExportedModel } from '@harma/inference';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type HarmaServer } from '../src/server';
import { writeStaticSite } from '../src/site/write-static-site';
import { CHROMIUM_ARGS, describeWithBrowser } from './helpers/browser';
import { openSite, type OpenedSite } from './helpers/open-site';
import { captureLogs } from './helpers/server-fixture';
import { serveStaticFolder, type StaticFileServer } from './helpers/static-file-server';
import { writeTestImages } from './helpers/test-images';
import { exportTinyModel } from './helpers/tiny-model';

// Uppercase, punctuation and a query longer than the tiny model's 16-token context (its end token must survive truncation).
const QUERIES = ['many planes parked near a runway', 'A river, crossing a green forest!', 'dense residential buildings', 'Two bridges over a wide river', 'a port with ships and storage tanks', 'baseball field'];

interface Hit {
  path: string;
  score: number;
}

/** The page's results for `query` (k = 10), and the time the page took (tokens → model → ranking → rendering) and the wall time. */
async function searchPage(page: Page, query: string): Promise<{ hits: Hit[]; pageMs: number; wallMs: number }> {
  const started = performance.now();
  await page.fill('#query', query);
  await page.press('#query', 'Enter');
  await page.waitForFunction((expected) => document.getElementById('results')?.dataset.query === expected, query);
  const wallMs = performance.now() - started;
  const hits = await page.$$eval('#results .result', (items) => items.map((item) => ({ path: (item as HTMLElement).dataset.path ?? '', score: Number((item as HTMLElement).dataset.score) })));
  return { hits, pageMs: Number(await page.getAttribute('#results', 'data-ms')), wallMs };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/**
 * The exports a site is written from: a CLIP ViT (a transformers CLIP folder, whose config.json the
 * site copies) and a CLIP ResNet (no transformers class for the whole model: the site writes its
 * text tower's `clip_text_model` config). Every check below holds for both.
 */
const BACKBONES = [
  { kind: 'clip', resnet: false },
  { kind: 'clip-resnet', resnet: true },
] as const;

describeWithBrowser('harma site: the gallery searched in headless Chromium from static files', (executablePath) => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
  });

  describe.each(BACKBONES)('a site of a $kind export', ({ kind, resnet }) => {
    let root: string;
    let model: string;
    let server: HarmaServer;
    const sites: Record<'int8' | 'fp32', OpenedSite & { host: StaticFileServer }> = {} as never;

    async function serverHits(query: string): Promise<Hit[]> {
      const response = await server.app.inject({ method: 'POST', url: '/api/search/text', payload: { query, k: 10 } });
      expect(response.statusCode).toBe(200);
      return (response.json() as { results: Hit[] }).results;
    }

    beforeAll(async () => {
      root = await mkdtemp(path.join(os.tmpdir(), `harma-site-browser-${kind}-`));
      model = await exportTinyModel(path.join(root, 'model'), { quantize: true, resnet });
      const gallery = path.join(root, 'gallery');
      await writeTestImages(gallery, 40);
      server = await createServer({ model, gallery, indexDir: path.join(root, 'index'), port: 0, rateLimit: false }, { logger: captureLogs().logger });
      await server.gallery.reindex();
      for (const precision of ['int8', 'fp32'] as const) {
        const out = path.join(root, `site-${precision}`);
        await writeStaticSite({ model, gallery, out, precision });
        const host = await serveStaticFolder(out);
        sites[precision] = { host, ...(await openSite(browser, host)) };
      }
    });

    afterAll(async () => {
      for (const site of Object.values(sites)) await site.host.close();
      await server?.close();
      if (root !== undefined) await rm(root, { recursive: true, force: true });
    });

    it('loads the model with progress shown, then is ready to search', async () => {
      for (const precision of ['int8', 'fp32'] as const) {
        const { page, loadMs, readyMs } = sites[precision];
        expect(await page.getAttribute('body', 'data-state')).toBe('ready');
        expect(await page.textContent('#error')).toBe('');
        expect(await page.textContent('#status')).toMatch(/^Ready in [\d.]+ s: type to search 40 images\.$/);
        expect(await page.textContent('#about')).toBe(`40 images · ${kind} 32-d · ${precision}`);
        expect(await page.getAttribute('#query', 'type')).toBe('search');
        // The progress bar followed every byte of the embeddings, the WebAssembly binary and the text graph.
        expect(await page.$eval('#progress', (bar) => (bar as HTMLProgressElement).value)).toBe(1);
        const [done, total] = ((await page.textContent('#load-status'))?.match(/([\d.]+) of ([\d.]+) MB$/) ?? []).slice(1);
        expect(done).toBe(total);
        expect(Number(total)).toBeGreaterThan(14);
        console.info(`site load (${kind}, ${precision}): ready ${readyMs.toFixed(0)} ms after navigation start; goto → ready ${loadMs.toFixed(0)} ms`);
      }
    });

    it('ranks like harma serve: int8 — same top-1 and at least 9 of the same top-10', async () => {
      const times: number[] = [];
      for (const query of QUERIES) {
        const expected = await serverHits(query);
        const { hits, pageMs, wallMs } = await searchPage(sites.int8.page, query);
        times.push(pageMs);
        expect(hits).toHaveLength(10);
        expect(hits[0]?.path, query).toBe(expected[0]?.path);
        const shared = hits.filter((hit) => expected.some((other) => other.path === hit.path)).length;
        expect(shared, query).toBeGreaterThanOrEqual(9);
        expect(hits[0]?.score).toBeCloseTo(expected[0]?.score as number, 1);
        console.info(`${kind} int8 "${query}": ${shared}/10 shared, page ${pageMs.toFixed(1)} ms, wall ${wallMs.toFixed(0)} ms`);
      }
      console.info(`${kind} int8 per-query time in the page: median ${median(times).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms`);
    });

    it('ranks like harma serve: fp32 — the same top-10 in the same order, the same scores', async () => {
      const times: number[] = [];
      for (const query of QUERIES) {
        const expected = await serverHits(query);
        const { hits, pageMs } = await searchPage(sites.fp32.page, query);
        times.push(pageMs);
        expect(hits.map((hit) => hit.path), query).toEqual(expected.map((hit) => hit.path));
        hits.forEach((hit, i) => expect(hit.score).toBeCloseTo(expected[i]?.score as number, 4));
      }
      console.info(`${kind} fp32 per-query time in the page: median ${median(times).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms`);
    });

    it("tokenizes queries as the export's own tokenizer does, for queries of every length", async () => {
      const words = syntheticVocabulary();
      const rng = new SeededRandom('site-queries');
      const queries = Array.from({ length: 60 }, (_, i) => Array.from({ length: 1 + (i % 30) }, () => words[Math.floor(rng.uniform() * words.length)]).join(i % 3 === 0 ? ', ' : ' '));
      // A string, so that the test runner leaves the page's dynamic imports alone.
      const script = `(async () => {
        const { AutoTokenizer } = await import('./runtime/transformers.min.js');
        const { queryIds } = await import('./query-ids.js');
        const { normalizeQuery } = await import('./normalize-query.js');
        const tokenizer = await AutoTokenizer.from_pretrained('model');
        return ${JSON.stringify(queries)}.map((query) => Array.from(queryIds(tokenizer.encode(normalizeQuery(query)), 16), Number));
      })()`;
      const pageIds = (await sites.int8.page.evaluate(script)) as number[][];
      const exported = await loadExportedModel(model, { warmUp: false });
      try {
        const ids = exported.tokenizer.encode(queries.map((query) => normalizeCaption(query)));
        expect(pageIds.flat()).toEqual(Array.from(ids));
        // Some queries are longer than the context: their last id is the end token, not a cut word.
        expect(pageIds.filter((row) => row[15] !== 0).length).toBeGreaterThan(10);
      } finally {
        await exported.dispose();
      }
    });

    it('renders each hit with its thumbnail, path and score, best first; typing alone searches', async () => {
      const { page } = sites.int8;
      await page.selectOption('#k', '5');
      await page.fill('#query', '');
      await page.type('#query', 'storage tanks');
      await page.waitForFunction(() => document.getElementById('results')?.dataset.query === 'storage tanks');
      const cards = await page.$$eval('#results .result', (items) =>
        items.map((item) => ({ path: (item as HTMLElement).dataset.path, shown: item.querySelector('.path')?.textContent, score: Number(item.querySelector('.score')?.textContent) })),
      );
      expect(cards).toHaveLength(5);
      expect(cards.every((card) => card.path === card.shown && /^set-0\/img-00\d\d\.png$/.test(card.path ?? ''))).toBe(true);
      expect(cards.map((card) => card.score)).toEqual([...cards.map((card) => card.score)].sort((a, b) => b - a));
      await expect.poll(() => page.$$eval('#results img', (images) => images.every((image) => (image as HTMLImageElement).complete && (image as HTMLImageElement).naturalWidth === 40))).toBe(true);
      await page.fill('#query', '?!');
      await page.press('#query', 'Enter');
      await expect.poll(() => page.textContent('#status')).toBe('No words left in the query once punctuation is removed.');
      expect(await page.$$('#results .result')).toHaveLength(0);
    });

    it('requested nothing but its own files, all of which exist, and logged no errors', () => {
      for (const precision of ['int8', 'fp32'] as const) {
        const { host, problems, foreign } = sites[precision];
        expect(foreign).toEqual([]);
        expect(problems).toEqual([]);
        expect(host.requests.filter((request) => request.status !== 200)).toEqual([]);
        const requested = new Set(host.requests.map((request) => request.path));
        expect(requested).toContain('/runtime/ort-wasm-simd-threaded.wasm');
        expect(requested).toContain(precision === 'int8' ? '/model/onnx/text_model_quantized.onnx' : '/model/onnx/text_model.onnx');
      }
    });

    it('says clearly when the browser has no WebAssembly', async () => {
      const page = await browser.newPage();
      try {
        await page.addInitScript(() => {
          Reflect.deleteProperty(globalThis, 'WebAssembly');
        });
        await page.goto(sites.int8.host.url);
        await page.waitForSelector('body[data-state="failed"]');
        expect(await page.textContent('#error')).toContain('This browser cannot run the search model: it needs WebAssembly with SIMD');
        expect(await page.isDisabled('#query')).toBe(true);
      } finally {
        await page.close();
      }
    });

    it('says clearly when the model cannot be loaded', async () => {
      const page = await browser.newPage();
      try {
        await page.route('**/model/onnx/*.onnx', (route) => route.fulfill({ status: 200, contentType: 'application/octet-stream', body: Buffer.from('not an onnx graph') }));
        await page.goto(sites.int8.host.url);
        await page.waitForSelector('body[data-state="failed"]');
        expect(await page.textContent('#error')).toMatch(/^The search model \(model\/onnx\/text_model_quantized\.onnx\) could not be loaded in this browser: /);
      } finally {
        await page.close();
      }
    });
  });
});
