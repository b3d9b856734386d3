import { copyFile, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { apiSchemas } from '../src/http/schemas';
import { STORE_KINDS } from '../src/store/gallery-store';
import { dot, postImage } from './helpers/http';
import { serverFixture, type ServerFixture } from './helpers/server-fixture';
import { testImageBytes } from './helpers/test-images';

const KEY = 'test-key-123456';
const CAPTIONS = ['Many planes are parked next to a terminal.', 'A river crosses a green forest.', 'Two bridges over a wide river', 'A port with ships.', 'Dense residential buildings'];

// Both stores behind one API: the embedded default and the Lance table (at its default URI, <indexDir>/lance).
describe.each(STORE_KINDS)('the HTTP API on a tiny exported model (%s store)', (store) => {
  let fixture: ServerFixture;
  let schemas: ReturnType<typeof apiSchemas>;
  /** Embedding of every gallery file, computed through /api/embed/image (independent of the index). */
  const fileEmbeddings = new Map<string, number[]>();

  const app = () => fixture.server.app;
  const embedImage = async (bytes: Uint8Array): Promise<number[]> => {
    const response = await postImage(app(), '/api/embed/image', bytes);
    expect(response.statusCode).toBe(200);
    return schemas.embedImageResponse.parse(response.json()).embedding;
  };
  const embedTexts = async (texts: string[]): Promise<number[][]> => {
    const response = await app().inject({ method: 'POST', url: '/api/embed/text', payload: { texts } });
    expect(response.statusCode).toBe(200);
    return schemas.embedTextResponse.parse(response.json()).embeddings;
  };

  beforeAll(async () => {
    fixture = await serverFixture({ images: 24, overrides: { batchSize: 5, store } });
    const captionsFile = path.join(fixture.root, 'captions.txt');
    await writeFile(captionsFile, CAPTIONS.join('\n'));
    await fixture.restart({ captions: captionsFile });
    await fixture.server.gallery.reindex();
    schemas = apiSchemas(fixture.server.options.limits);
    for (const file of fixture.images) fileEmbeddings.set(file, await embedImage(await readFile(path.join(fixture.gallery, file))));
  });

  afterAll(async () => {
    await fixture?.cleanup();
  });

  it('indexed every gallery image, logging progress batch by batch', () => {
    expect(fixture.server.gallery.size).toBe(24);
    const progress = fixture.logs.lines.filter((line) => line.msg === 'indexing progress').map((line) => line.done);
    expect(progress).toEqual([5, 10, 15, 20, 24]);
    expect(fixture.logs.lines.find((line) => line.msg === 'indexing done')).toMatchObject({ images: 24, added: 24 });
    for (const embedding of fileEmbeddings.values()) expect(Math.sqrt(dot(embedding, embedding))).toBeCloseTo(1, 4);
  });

  it('text → images returns the k images of highest cosine similarity, best first', async () => {
    const query = 'Many planes parked near the terminal!';
    const response = await app().inject({ method: 'POST', url: '/api/search/text', payload: { query, k: 7 } });
    expect(response.statusCode).toBe(200);
    const body = schemas.imageSearchResponse.parse(response.json());
    const [text] = await embedTexts([query]);
    const expected = [...fileEmbeddings].map(([file, vector]) => ({ file, score: dot(vector, text as number[]) })).sort((a, b) => b.score - a.score);
    expect(body.results.map((hit) => hit.path)).toEqual(expected.slice(0, 7).map((hit) => hit.file));
    body.results.forEach((hit, i) => expect(hit.score).toBeCloseTo(expected[i]?.score as number, 4));
    expect(body).toMatchObject({ k: 7, indexSize: 24 });
    expect(body.results[0]).toMatchObject({ width: 40, height: 32, thumbnail: `/api/gallery/${body.results[0]?.id}/thumbnail` });
  });

  it('text queries are normalised like the paper\'s captions before encoding', async () => {
    const [a, b] = await embedTexts(['A PORT, with ships!!', 'a port with ships']);
    expect(a).toEqual(b);
  });

  it('image → images finds the uploaded gallery image first, with similarity 1', async () => {
    const file = fixture.images[9] as string;
    const response = await postImage(app(), '/api/search/image?k=3', await readFile(path.join(fixture.gallery, file)));
    expect(response.statusCode).toBe(200);
    const body = schemas.imageSearchResponse.parse(response.json());
    expect(body.results).toHaveLength(3);
    expect(body.results[0]?.path).toBe(file);
    expect(body.results[0]?.score).toBeCloseTo(1, 4);
  });

  it('image → captions ranks the caption gallery by cosine similarity', async () => {
    const bytes = await readFile(path.join(fixture.gallery, fixture.images[3] as string));
    const response = await postImage(app(), '/api/search/image/captions?k=3', bytes);
    expect(response.statusCode).toBe(200);
    const body = schemas.captionSearchResponse.parse(response.json());
    const image = await embedImage(bytes);
    const captions = await embedTexts(CAPTIONS);
    const expected = CAPTIONS.map((text, index) => ({ text, score: dot(captions[index] as number[], image) })).sort((a, b) => b.score - a.score);
    expect(body.captions).toBe(5);
    expect(body.results.map((hit) => hit.text)).toEqual(expected.slice(0, 3).map((hit) => hit.text));
    body.results.forEach((hit, i) => expect(hit.score).toBeCloseTo(expected[i]?.score as number, 4));
  });

  it('lists the gallery by path, in pages, with a prefix filter', async () => {
    const first = schemas.galleryListResponse.parse((await app().inject({ url: '/api/gallery?limit=10' })).json());
    const second = schemas.galleryListResponse.parse((await app().inject({ url: '/api/gallery?limit=10&offset=10' })).json());
    expect(first.total).toBe(24);
    expect([...first.items, ...second.items].map((item) => item.path)).toEqual([...fixture.images].sort().slice(0, 20));
    const item = first.items[0];
    expect(item?.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(item?.size).toBe((await readFile(path.join(fixture.gallery, item?.path as string))).byteLength);
    const prefixed = schemas.galleryListResponse.parse((await app().inject({ url: '/api/gallery?prefix=set-0/img-001' })).json());
    expect(prefixed.items.map((entry) => entry.path)).toEqual(fixture.images.filter((file) => file.startsWith('set-0/img-001')));
    const one = await app().inject({ url: `/api/gallery/${item?.id}` });
    expect(schemas.galleryItemResponse.parse(one.json()).item).toEqual(item);
    expect((await app().inject({ url: '/api/gallery/999999' })).json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('serves JPEG thumbnails, cached on disk by content hash', async () => {
    // The first image by path (id 1 in the SQLite store; Lance ids derive from path and content).
    const first = (await fixture.server.gallery.store.page(0, 1)).items[0];
    const response = await app().inject({ url: `/api/gallery/${first?.id}/thumbnail` });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('image/jpeg');
    const meta = await sharp(response.rawPayload).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 40, height: 32 });
    const again = await app().inject({ url: `/api/gallery/${first?.id}/thumbnail` });
    expect(again.rawPayload.equals(response.rawPayload)).toBe(true);
  });

  it('answers 404 for the thumbnail of a file removed behind the server\'s back, naming no server path', async () => {
    const file = fixture.images[11] as string;
    const record = await fixture.server.gallery.store.getByPath(file);
    // Moved away and back (a rename keeps the time stamp, so the index need not notice).
    await rename(path.join(fixture.gallery, file), path.join(fixture.gallery, '.moved-away.png'));
    const response = await app().inject({ url: `/api/gallery/${record?.id}/thumbnail` });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ error: { code: 'not_found', message: `the file of gallery image ${record?.id} (${file}) is gone; reindex the gallery` } });
    expect(response.body).not.toContain(fixture.root);
    await rename(path.join(fixture.gallery, '.moved-away.png'), path.join(fixture.gallery, file));
  });

  it('adds an uploaded image with the key, stores the file and makes it searchable', async () => {
    const bytes = await testImageBytes('added', { format: 'jpg', width: 64, height: 48 });
    expect((await postImage(app(), '/api/gallery', bytes)).json()).toMatchObject({ error: { code: 'unauthorized' } });
    expect((await postImage(app(), '/api/gallery', bytes, { headers: { 'x-api-key': 'wrong-key-000' } })).statusCode).toBe(401);
    const response = await postImage(app(), '/api/gallery', bytes, { headers: { authorization: `Bearer ${KEY}` }, fields: { path: 'uploads/new/scene.jpg' } });
    expect(response.statusCode).toBe(201);
    const { item } = schemas.galleryItemResponse.parse(response.json());
    expect(item).toMatchObject({ path: 'uploads/new/scene.jpg', width: 64, height: 48, size: bytes.byteLength });
    expect((await readFile(path.join(fixture.gallery, 'uploads/new/scene.jpg'))).equals(bytes)).toBe(true);
    const search = schemas.imageSearchResponse.parse((await postImage(app(), '/api/search/image?k=1', bytes)).json());
    expect(search.results[0]?.id).toBe(item.id);
    // Default path: uploads/<hash>.<format extension>.
    const other = await testImageBytes('added-2');
    const defaulted = schemas.galleryItemResponse.parse((await postImage(app(), '/api/gallery', other, { headers: { 'x-api-key': KEY } })).json());
    expect(defaulted.item.path).toMatch(/^uploads\/[0-9a-f]{16}\.png$/);
    // The same path again is a conflict, whatever the bytes.
    const conflict = await postImage(app(), '/api/gallery', other, { headers: { 'x-api-key': KEY }, fields: { path: 'uploads/new/scene.png' } });
    expect(conflict.statusCode).toBe(201);
    const again = await postImage(app(), '/api/gallery', other, { headers: { 'x-api-key': KEY }, fields: { path: 'uploads/new/scene.png' } });
    expect(again.json()).toMatchObject({ error: { code: 'already_exists' } });
    const mismatch = await postImage(app(), '/api/gallery', other, { headers: { 'x-api-key': KEY }, fields: { path: 'x.jpg' } });
    expect(mismatch.json()).toMatchObject({ error: { code: 'invalid_path', message: expect.stringContaining('png image; its name must end with .png') } });
    expect(fixture.server.gallery.size).toBe(27);
  });

  it('a failed upload leaves nothing behind: no file, no row, not even the folders it created', async () => {
    const before = await readdir(fixture.gallery);
    const failing = vi.spyOn(fixture.server.encoder, 'encodeImages').mockRejectedValueOnce(new Error('the model failed'));
    try {
      const response = await postImage(app(), '/api/gallery', await testImageBytes('fails'), { headers: { 'x-api-key': KEY }, fields: { path: 'failed/new/scene.png' } });
      expect(response.statusCode).toBe(500);
      expect(failing).toHaveBeenCalledTimes(1);
    } finally {
      failing.mockRestore();
    }
    expect(await readdir(fixture.gallery)).toEqual(before);
    expect(await fixture.server.gallery.store.getByPath('failed/new/scene.png')).toBeUndefined();
  });

  it('deletes an image with the key: gone from the index, the listing and the folder', async () => {
    const target = await fixture.server.gallery.store.getByPath(fixture.images[5] as string);
    expect(target).toBeDefined();
    expect((await app().inject({ method: 'DELETE', url: `/api/gallery/${target?.id}` })).statusCode).toBe(401);
    const response = await app().inject({ method: 'DELETE', url: `/api/gallery/${target?.id}`, headers: { 'x-api-key': KEY } });
    expect(response.statusCode).toBe(200);
    expect(schemas.galleryItemResponse.parse(response.json()).item.path).toBe(fixture.images[5]);
    await expect(readFile(path.join(fixture.gallery, fixture.images[5] as string))).rejects.toThrow('ENOENT');
    expect((await app().inject({ url: `/api/gallery/${target?.id}` })).statusCode).toBe(404);
    const search = schemas.imageSearchResponse.parse((await postImage(app(), '/api/search/image?k=30', Buffer.from(await testImageBytes(5)))).json());
    expect(search.results.map((hit) => hit.id)).not.toContain(target?.id);
    expect((await app().inject({ method: 'DELETE', url: `/api/gallery/${target?.id}`, headers: { 'x-api-key': KEY } })).statusCode).toBe(404);
  });

  it('re-indexes incrementally: changed, copied, removed and unreadable files', async () => {
    const gallery = fixture.server.gallery;
    const encoderCalls = async (): Promise<number> => {
      const text = await (await app().inject({ url: '/metrics' })).body;
      return Number(/harma_encoder_duration_seconds_count\{modality="image"\} (\d+)/.exec(text)?.[1] ?? Number.NaN);
    };
    await gallery.reindex();
    expect(gallery.progress).toMatchObject({ total: 0, added: 0, updated: 0, removed: 0 });
    const before = await encoderCalls();
    const changed = fixture.images[0] as string;
    const oldId = (await gallery.store.getByPath(changed))?.id;
    await writeFile(path.join(fixture.gallery, changed), await testImageBytes('changed'));
    await copyFile(path.join(fixture.gallery, fixture.images[1] as string), path.join(fixture.gallery, 'copy-of-1.png'));
    await rm(path.join(fixture.gallery, fixture.images[2] as string));
    await writeFile(path.join(fixture.gallery, 'broken.png'), 'not an image at all');
    const response = await app().inject({ method: 'POST', url: '/api/gallery/reindex', headers: { 'x-api-key': KEY } });
    expect(response.statusCode).toBe(202);
    await gallery.reindex();
    expect(gallery.progress).toMatchObject({ state: 'idle', total: 3, added: 1, updated: 1, removed: 1, skipped: 1 });
    // Only the changed file was embedded: the copy reused the stored vector of identical bytes.
    expect(await encoderCalls()).toBe(before + 1);
    const copy = await gallery.store.getByPath('copy-of-1.png');
    const original = await gallery.store.getByPath(fixture.images[1] as string);
    expect(Array.from((await gallery.store.vector(copy?.id as number)) ?? [])).toEqual(Array.from((await gallery.store.vector(original?.id as number)) ?? []));
    expect((await gallery.store.getByPath(changed))?.id).not.toBe(oldId);
    const skipped = schemas.skippedResponse.parse((await app().inject({ url: '/api/gallery/skipped' })).json());
    expect(skipped.items).toEqual([{ path: 'broken.png', size: 19, reason: expect.stringContaining('not a readable image') }]);
    // Nothing changed since: nothing to do, the broken file is not retried.
    await gallery.reindex();
    expect(gallery.progress).toMatchObject({ total: 0, skipped: 0 });
    const changedSearch = schemas.imageSearchResponse.parse((await postImage(app(), '/api/search/image?k=1', await testImageBytes('changed'))).json());
    expect(changedSearch.results[0]).toMatchObject({ path: changed });
  });

  it('reports health, statistics and Prometheus metrics', async () => {
    const health = schemas.healthResponse.parse((await app().inject({ url: '/healthz' })).json());
    expect(health).toEqual({ status: 'ok', images: fixture.server.gallery.size, indexing: 'idle' });
    const stats = schemas.statsResponse.parse((await app().inject({ url: '/api/stats' })).json());
    expect(stats).toMatchObject({ images: fixture.server.gallery.size, captions: 5, skipped: 1, embedDim: 32, writable: true, model: { engine: 'ort', backbone: 'clip', imageSize: 32 } });
    const metrics = (await app().inject({ url: '/metrics' })).body;
    expect(metrics).toContain('harma_http_requests_total{method="POST",route="/api/search/text",status="200"} 1');
    expect(metrics).toMatch(/harma_http_request_duration_seconds_bucket\{le="\+Inf",method="POST",route="\/api\/search\/image"\} \d+/);
    expect(metrics).toContain(`harma_index_images ${fixture.server.gallery.size}`);
    expect(metrics).toContain('harma_index_captions 5');
    expect(metrics).toContain('harma_process_resident_memory_bytes');
  });

  it('serves an OpenAPI 3.1 document covering every API route', async () => {
    const document = (await app().inject({ url: '/docs/openapi.json' })).json() as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(document.openapi).toBe('3.1.0');
    const documented = Object.entries(document.paths).flatMap(([route, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${route.replace(/\{(\w+)\}/g, ':$1')}`));
    const expected = [
      'POST /api/search/text', 'POST /api/search/image', 'POST /api/search/image/captions', 'POST /api/embed/text', 'POST /api/embed/image',
      'GET /api/gallery', 'POST /api/gallery', 'GET /api/gallery/skipped', 'POST /api/gallery/reindex', 'GET /api/gallery/:id', 'DELETE /api/gallery/:id',
      'GET /api/gallery/:id/thumbnail', 'GET /api/stats', 'GET /healthz', 'GET /metrics', 'GET /docs/openapi.json',
    ];
    expect(documented.sort()).toEqual(expected.sort());
    for (const route of expected) {
      const [method, url] = route.split(' ') as [string, string];
      expect(app().hasRoute({ method: method as 'GET', url }), route).toBe(true);
    }
    const textSearch = document.paths['/api/search/text']?.post as { requestBody: { content: { 'application/json': { schema: { properties: Record<string, { maximum?: number; maxLength?: number }> } } } } };
    expect(textSearch.requestBody.content['application/json'].schema.properties.k?.maximum).toBe(100);
    expect(textSearch.requestBody.content['application/json'].schema.properties.query?.maxLength).toBe(1000);
  });

  it('serves the web page and its assets with a strict content security policy', async () => {
    const page = await app().inject({ url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('<script type="module" src="/static/app.js"></script>');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect((await app().inject({ url: '/static/app.js' })).headers['content-type']).toContain('text/javascript');
    const card = await app().inject({ url: '/static/result-card.js' });
    expect(card.headers['content-type']).toContain('text/javascript');
    expect(card.body).toContain('export function resultCard(hit, setImage)');
    expect((await app().inject({ url: '/static/style.css' })).headers['content-type']).toContain('text/css');
  });
});
