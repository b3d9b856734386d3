/**
 * Open a site written by `harma site` in headless Chromium, served by a plain static file server on
 * loopback, and measure it: the load time (navigation start until the page says it is ready: the
 * embeddings, runtime and text model downloaded, the model loaded and warmed up), and for each
 * query the time the page takes (normalise, tokenize, text model, rank, render; its own
 * `performance.now()`) and the wall time from typing Enter to the rendered results. Prints the
 * figures, the top hits, every request that left the static server (there must be none) and every
 * console error.
 *
 *   npx vite-node bench/site-in-browser.ts -- SITE_DIR [QUERY…]      (in apps/server)
 */
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../test/helpers/chromium';
import { openSite } from '../test/helpers/open-site';
import { serveStaticFolder } from '../test/helpers/static-file-server';

const DEFAULT_QUERIES = ['many planes are parked next to a terminal', 'a river crosses a green forest', 'two bridges over a wide river', 'a port with many ships', 'dense residential buildings', 'a baseball field next to a parking lot'];
const ROUNDS = 3;

const [site, ...given] = process.argv.slice(2).filter((arg) => arg !== '--');
if (site === undefined) throw new Error('usage: vite-node bench/site-in-browser.ts -- SITE_DIR [QUERY…]');
const queries = given.length > 0 ? given : DEFAULT_QUERIES;

const host = await serveStaticFolder(site);
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
try {
  const { page, problems, foreign, loadMs, readyMs } = await openSite(browser, host, 300_000);
  if ((await page.getAttribute('body', 'data-state')) !== 'ready') throw new Error(`the page failed: ${await page.textContent('#error')}`);
  console.log(`${await page.textContent('#about')}`);
  console.log(`load: ready ${readyMs} ms after navigation start (goto → ready ${loadMs.toFixed(0)} ms)`);
  const pageTimes: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const query of queries) {
      // A different query each time: the page skips nothing, but the wait needs a new value to see.
      const text = round === 0 ? query : `${query}${' '.repeat(round)}.`;
      const sent = performance.now();
      await page.fill('#query', text);
      await page.press('#query', 'Enter');
      await page.waitForFunction((expected) => document.getElementById('results')?.dataset.query === expected, text);
      const wallMs = performance.now() - sent;
      const pageMs = Number(await page.getAttribute('#results', 'data-ms'));
      pageTimes.push(pageMs);
      if (round === 0) {
        const top = await page.$$eval('#results .result', (items) => items.slice(0, 3).map((item) => `${(item as HTMLElement).dataset.path} ${Number((item as HTMLElement).dataset.score).toFixed(3)}`));
        console.log(`"${query}": page ${pageMs.toFixed(1)} ms, wall ${wallMs.toFixed(0)} ms; top: ${top.join(', ')}`);
      }
    }
  }
  const sorted = [...pageTimes].sort((a, b) => a - b);
  console.log(`per query in the page (${sorted.length} queries): median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(1)} ms, max ${sorted.at(-1)?.toFixed(1)} ms`);
  console.log(`requests: ${host.requests.length} to the static server (${host.requests.filter((request) => request.status !== 200).length} not found), ${foreign.length} elsewhere${foreign.length > 0 ? `: ${foreign.join(' ')}` : ''}`);
  console.log(`console errors: ${problems.length === 0 ? 'none' : problems.join(' | ')}`);
} finally {
  await browser.close();
  await host.close();
}
