/// <reference lib="dom" />
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHROMIUM_ARGS, describeWithBrowser } from './helpers/browser';
import { serverFixture, type ServerFixture } from './helpers/server-fixture';

const CAPTIONS = ['Many planes are parked next to a terminal.', 'A river crosses a green forest.', 'Two bridges over a wide river', 'A port with ships.', 'Dense residential buildings'];

describeWithBrowser('the web page in headless Chromium', (executablePath) => {
  let fixture: ServerFixture;
  let browser: Browser;
  let page: Page;
  let url: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    fixture = await serverFixture({ images: 16 });
    const captions = path.join(fixture.root, 'captions.txt');
    await writeFile(captions, CAPTIONS.join('\n'));
    await fixture.restart({ captions });
    await fixture.server.gallery.reindex();
    url = await fixture.server.listen();
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
    page = await browser.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await page.goto(url);
  });

  afterAll(async () => {
    await browser?.close();
    await fixture?.cleanup();
  });

  it('shows the gallery statistics', async () => {
    await expect.poll(() => page.textContent('#stat-images')).toBe('16');
    expect(await page.textContent('#stat-captions')).toBe('5');
    expect(await page.textContent('#stat-model')).toContain('32-d');
    expect(await page.textContent('#stat-indexing')).toBe('up to date');
  });

  it('searches by text: typed query, rendered grid of thumbnails with scores, best first', async () => {
    await page.fill('#query', 'many planes parked near a runway');
    await page.selectOption('#k', '10');
    await page.press('#query', 'Enter');
    await page.waitForSelector('#results .result >> nth=9');
    const cards = await page.$$eval('#results .result', (items) =>
      items.map((item) => ({
        id: Number((item as HTMLElement).dataset.id),
        path: item.querySelector('.path')?.textContent ?? '',
        score: Number(item.querySelector('.score')?.textContent),
      })),
    );
    expect(cards).toHaveLength(10);
    // The page shows what the API answers, in its order.
    const api = (await fixture.server.app.inject({ method: 'POST', url: '/api/search/text', payload: { query: 'many planes parked near a runway', k: 10 } })).json() as { results: Array<{ id: number; path: string; score: number }> };
    expect(cards.map((card) => card.id)).toEqual(api.results.map((hit) => hit.id));
    cards.forEach((card, i) => expect(card.score).toBeCloseTo(api.results[i]?.score as number, 3));
    expect(cards.every((card) => fixture.images.includes(card.path))).toBe(true);
    // Every thumbnail loaded (a decoded JPEG of the gallery image's size).
    await expect.poll(() => page.$$eval('#results img', (images) => images.every((image) => (image as HTMLImageElement).complete && (image as HTMLImageElement).naturalWidth === 40))).toBe(true);
    expect(await page.textContent('#status')).toMatch(/^10 of 16 images for “many planes parked near a runway” in [\d.]+ ms$/);
  });

  it('searches by a dropped image: the same gallery image first, and matching captions', async () => {
    const file = fixture.images[6] as string;
    const bytes = await readFile(path.join(fixture.gallery, file));
    const dataTransfer = await page.evaluateHandle(({ data, name }) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(data)], name, { type: 'image/png' }));
      return transfer;
    }, { data: Array.from(bytes), name: 'dropped.png' });
    await page.dispatchEvent('#drop-zone', 'dragover', { dataTransfer });
    await page.dispatchEvent('#drop-zone', 'drop', { dataTransfer });
    await page.waitForSelector('#caption-section:not([hidden]) #captions li >> nth=4');
    await expect.poll(() => page.textContent('#results .result:first-child .path')).toBe(file);
    expect(Number(await page.textContent('#results .result:first-child .score'))).toBeCloseTo(1, 2);
    const captions = await page.$$eval('#captions .caption', (items) => items.map((item) => item.textContent));
    expect([...captions].sort()).toEqual([...CAPTIONS].sort());
    expect(await page.textContent('#status')).toContain('similar to dropped.png');
  });

  it('shows the API\'s error message for a bad upload, with no results of the search before it, and no script errors happened', async () => {
    // The image search before this one left results and captions on the page.
    expect(await page.locator('#results .result').count()).toBeGreaterThan(0);
    expect(await page.isVisible('#caption-section')).toBe(true);
    await page.setInputFiles('#file-input', { name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not an image') });
    await expect.poll(() => page.textContent('#error')).toContain('not a readable image');
    expect(await page.isVisible('#error')).toBe(true);
    // Results under an error would look like the answer to the failed request.
    expect(await page.locator('#results .result').count()).toBe(0);
    expect(await page.locator('#captions li').count()).toBe(0);
    expect(await page.isVisible('#caption-section')).toBe(false);
    expect(await page.isVisible('#results-title')).toBe(false);
    expect(await page.textContent('#status')).toBe('');
    // The failed requests of this test log 400s; nothing else may have gone wrong.
    expect(pageErrors.filter((message) => !message.includes('400'))).toEqual([]);
  });

  it('a text search the API refuses clears the results of the one before, too', async () => {
    await page.fill('#query', 'a river');
    await page.press('#query', 'Enter');
    await page.waitForSelector('#results .result');
    await page.fill('#query', '?!');
    await page.press('#query', 'Enter');
    await expect.poll(() => page.textContent('#error')).toContain('no words left after normalisation');
    expect(await page.locator('#results .result').count()).toBe(0);
    expect(await page.isVisible('#results-title')).toBe(false);
    expect(pageErrors.filter((message) => !message.includes('400'))).toEqual([]);
  });
});
