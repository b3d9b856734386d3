import type { Browser, Page } from 'playwright-core';
import type { StaticFileServer } from './static-file-server';

/** A site's page opened in a browser, watched from its first request. */
export interface OpenedSite {
  page: Page;
  /** Uncaught exceptions and console errors, in order. */
  problems: string[];
  /** Requested URLs outside the static server's origin (a site must make none). */
  foreign: string[];
  /** From `goto` until the page left its loading state, measured here. */
  loadMs: number;
  /** When the page said it was ready, after navigation start (its own `performance.now()`), or NaN if it failed. */
  readyMs: number;
}

/**
 * Open the site `host` serves in a new page, recording errors and requests to other origins, and
 * wait until it is ready or has failed (its `body[data-state]`).
 */
export async function openSite(browser: Browser, host: StaticFileServer, timeoutMs = 60_000): Promise<OpenedSite> {
  const page = await browser.newPage();
  const problems: string[] = [];
  const foreign: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('request', (request) => {
    if (!request.url().startsWith(host.url)) foreign.push(request.url());
  });
  const started = performance.now();
  await page.goto(host.url);
  await page.waitForSelector('body:not([data-state="loading"])', { timeout: timeoutMs });
  const loadMs = performance.now() - started;
  return { page, problems, foreign, loadMs, readyMs: Number(await page.getAttribute('body', 'data-ready-ms')) };
}
