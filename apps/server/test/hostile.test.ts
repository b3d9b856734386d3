import { lstat, mkdir, mkdtemp, readdir, readlink, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_KINDS } from '../src/store/gallery-store';
import type { ImageRecord } from '../src/store/metadata-store';
import { GALLERY_TRAPS, hostileCases, type HostileCase } from './helpers/hostile-cases';
import { postImage } from './helpers/http';
import { errorShapeProblems, parseRawResponse, rawExchange, rawRequestOf, type RawResponse } from './helpers/raw-http';
import { serverFixture, type ServerFixture } from './helpers/server-fixture';
import { testImageBytes } from './helpers/test-images';

const KEY = 'test-key-123456';
const LIMITS = { uploadBytes: 300_000, jsonBodyBytes: 16_384, maxImagePixels: 1_000_000 };

/** Every entry under `dir` — folders (`name/`), files with their size, links with their target — except the folders in `skip`. */
async function listTree(dir: string, skip: readonly string[] = [], prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const absolute = path.join(dir, entry.name);
    if (skip.includes(absolute)) continue;
    const relative = `${prefix}${entry.name}`;
    if (entry.isSymbolicLink()) out.push(`${relative} -> ${await readlink(absolute)}`);
    else if (entry.isDirectory()) out.push(`${relative}/`, ...(await listTree(absolute, skip, `${relative}/`)));
    else out.push(`${relative} (${(await lstat(absolute)).size} bytes)`);
  }
  return out.sort();
}

describe.each(STORE_KINDS)('hostile and malformed requests (%s store)', (store) => {
  let fixture: ServerFixture;
  let outside: string;
  let cases: HostileCase[];
  let rowsBefore: ImageRecord[];
  let treeBefore: string[];
  let outsideBefore: string[];
  /** What the suite's checks walk: the fixture's folder (model, gallery) without the index, and the folder outside. */
  const snapshot = (): Promise<string[]> => listTree(fixture.root, [fixture.server.options.indexDir]);

  beforeAll(async () => {
    fixture = await serverFixture({ images: 10, overrides: { apiKey: KEY, limits: LIMITS, store } });
    await fixture.server.gallery.reindex();
    // A symbolic link inside the gallery pointing outside it: uploads must not follow it.
    outside = await mkdtemp(path.join(os.tmpdir(), 'harma-outside-'));
    await symlink(outside, path.join(fixture.gallery, GALLERY_TRAPS.escape));
    await mkdir(path.join(outside, 'deeper'));
    await symlink(path.join(outside, 'missing'), path.join(fixture.gallery, GALLERY_TRAPS.dangling));
    await symlink(path.join(outside, 'missing.png'), path.join(fixture.gallery, GALLERY_TRAPS.danglingImage));
    await symlink(GALLERY_TRAPS.loop, path.join(fixture.gallery, GALLERY_TRAPS.loop));
    await symlink(GALLERY_TRAPS.loopB, path.join(fixture.gallery, GALLERY_TRAPS.loopA));
    await symlink(GALLERY_TRAPS.loopA, path.join(fixture.gallery, GALLERY_TRAPS.loopB));
    await symlink(path.dirname(fixture.images[0] as string), path.join(fixture.gallery, GALLERY_TRAPS.inside));
    await mkdir(path.join(fixture.gallery, GALLERY_TRAPS.folderImage));
    const valid = await testImageBytes('valid');
    const bomb = await sharp({ create: { width: 1200, height: 1000, channels: 3, background: '#203040' } }).png().toBuffer();
    cases = await hostileCases({ key: KEY, valid, bomb, uploadBytes: LIMITS.uploadBytes, jsonBodyBytes: LIMITS.jsonBodyBytes, existingId: (await fixture.server.gallery.store.all())[0]?.id as number, existingPath: fixture.images[0] as string });
    rowsBefore = await fixture.server.gallery.store.all();
    treeBefore = await snapshot();
    outsideBefore = await listTree(outside);
  });

  afterAll(async () => {
    await fixture?.cleanup();
    await rm(outside, { recursive: true, force: true });
  });

  it('has at least 200 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(200);
  });

  it('answers every one with the expected 4xx and a clear JSON error, and keeps serving', async () => {
    const app = fixture.server.app;
    const failures: string[] = [];
    for (const [index, hostile] of cases.entries()) {
      const response = await app.inject(hostile.request);
      let body: { error?: { code?: unknown; message?: unknown } } = {};
      try {
        body = response.json();
      } catch {
        failures.push(`${hostile.name}: body is not JSON: ${response.body.slice(0, 200)}`);
        continue;
      }
      const problems: string[] = [];
      if (response.statusCode !== hostile.status) problems.push(`status ${response.statusCode}, expected ${hostile.status}`);
      if (typeof body.error?.code !== 'string' || typeof body.error.message !== 'string' || body.error.message.length < 8) problems.push('no error code and message');
      if (body.error?.code !== hostile.code) problems.push(`code ${String(body.error?.code)}, expected ${hostile.code}`);
      const message = String(body.error?.message ?? '');
      if (hostile.message !== undefined && !(typeof hostile.message === 'string' ? message.includes(hostile.message) : hostile.message.test(message))) problems.push(`message lacks ${String(hostile.message)}`);
      // Never a stack trace, an internal path or the key.
      if (/\bat .+:\d+:\d+|node_modules|\.ts:\d+/.test(response.body) || response.body.includes(fixture.root) || response.body.includes(KEY)) problems.push('leaks internals');
      if (!String(response.headers['content-type']).startsWith('application/json')) problems.push(`content type ${String(response.headers['content-type'])}`);
      if (problems.length > 0) failures.push(`${hostile.name}: ${problems.join('; ')} — ${response.body.slice(0, 300)}`);
      if (index % 25 === 0) {
        const health = await app.inject({ url: '/healthz' });
        if (health.statusCode !== 200) failures.push(`after ${hostile.name}: /healthz answered ${health.statusCode}`);
      }
    }
    expect(failures).toEqual([]);
    // No request made the server fail internally.
    expect(fixture.logs.lines.filter((line) => (line.level as number) >= 50)).toEqual([]);
  });

  let listening: string | undefined;
  const listen = async (): Promise<string> => (listening ??= await fixture.server.listen());

  it('refuses oversized chunked bodies over a real socket (no Content-Length to trust)', async () => {
    const url = await listen();
    const chunked = (chunks: number, size: number): ReadableStream<Uint8Array> => {
      let sent = 0;
      return new ReadableStream({
        pull(controller) {
          if (sent === chunks) controller.close();
          else controller.enqueue(new Uint8Array(size).fill(0x61));
          sent += 1;
        },
      });
    };
    const post = (path: string, contentType: string, body: ReadableStream<Uint8Array>) =>
      fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body, duplex: 'half' } as RequestInit);
    const json = await post('/api/search/text', 'application/json', chunked(40, 1024));
    expect(json.status, await json.clone().text()).toBe(413);
    expect(await json.json()).toMatchObject({ error: { code: 'body_too_large' } });
    const head = new TextEncoder().encode('--b\r\nContent-Disposition: form-data; name="image"; filename="x.png"\r\n\r\n');
    let first = true;
    let left = 40;
    const upload = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (first) controller.enqueue(head);
        else if (left-- > 0) controller.enqueue(new Uint8Array(16_384).fill(0x62));
        else if (left-- === -1) controller.enqueue(new TextEncoder().encode('\r\n--b--\r\n'));
        else controller.close();
        first = false;
      },
    });
    const image = await post('/api/search/image', 'multipart/form-data; boundary=b', upload);
    expect(image.status, await image.clone().text()).toBe(413);
    expect(await image.json()).toMatchObject({ error: { code: 'body_too_large' } });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('answers every case the same over a real socket: status, code, the API\'s error shape with a correct Content-Length', async () => {
    const port = Number(new URL(await listen()).port);
    const failures: string[] = [];
    for (const hostile of cases) {
      let response: RawResponse;
      try {
        response = parseRawResponse(await rawExchange(port, rawRequestOf(hostile.request)));
      } catch (error) {
        failures.push(`${hostile.name}: ${(error as Error).message}`);
        continue;
      }
      const { status, code } = hostile.overSocket ?? hostile;
      const problems = errorShapeProblems(response);
      if (response.status !== status) problems.push(`status ${response.status}, expected ${status}`);
      const actual = problems.length === 0 ? (JSON.parse(response.body.toString()) as { error: { code: string } }).error.code : undefined;
      if (problems.length === 0 && actual !== code) problems.push(`code ${actual}, expected ${code}`);
      if (problems.length > 0) failures.push(`${hostile.name}: ${problems.join('; ')} — ${response.body.toString().slice(0, 200)}`);
    }
    expect(failures).toEqual([]);
    expect(fixture.logs.lines.filter((line) => (line.level as number) >= 50)).toEqual([]);
  });

  it('left the index and the gallery folder unchanged, created nothing anywhere else, and still searches', async () => {
    expect(await fixture.server.gallery.store.all()).toEqual(rowsBefore);
    expect(fixture.server.gallery.size).toBe(rowsBefore.length);
    // No file, no folder (not even an empty `uploads/`), nothing at a link's target.
    expect(await snapshot()).toEqual(treeBefore);
    expect(await listTree(outside)).toEqual(outsideBefore);
    expect(outsideBefore).toEqual(['deeper/']);
    const text = await fixture.server.app.inject({ method: 'POST', url: '/api/search/text', payload: { query: 'a river', k: 3 } });
    expect(text.statusCode).toBe(200);
    const image = await postImage(fixture.server.app, '/api/search/image?k=1', await testImageBytes(0));
    expect(image.json()).toMatchObject({ results: [{ path: fixture.images[0], score: expect.closeTo(1, 4) }] });
  });

  it('answers a body of 20,000 unknown keys (within the default JSON limit) with a short error naming ten of them', async () => {
    await fixture.restart({ limits: { ...LIMITS, jsonBodyBytes: 256 * 1024 } });
    const keys = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`f${i}`, 0]));
    const payload = JSON.stringify({ query: 'a river', ...keys });
    expect(payload.length).toBeGreaterThan(200_000);
    const response = await fixture.server.app.inject({ method: 'POST', url: '/api/search/text', payload, headers: { 'content-type': 'application/json' } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: { code: 'invalid_request', message: expect.stringMatching(/^invalid request: body: unknown fields "f0", "f1", .*, "f9" … and 19,990 more$/) } });
    expect(response.body.length).toBeLessThan(1000);
  });

  it('disables write endpoints without a configured key, and guards reads when asked to', async () => {
    await fixture.restart({ apiKey: undefined });
    const add = await postImage(fixture.server.app, '/api/gallery', await testImageBytes('x'), { headers: { 'x-api-key': KEY } });
    expect(add.statusCode).toBe(403);
    expect(add.json()).toMatchObject({ error: { code: 'forbidden', message: expect.stringContaining('--api-key') } });
    await fixture.restart({ requireKeyForReads: true });
    const app = fixture.server.app;
    for (const request of [{ method: 'POST' as const, url: '/api/search/text', payload: { query: 'a river' } }, { url: '/api/gallery' }, { url: '/metrics' }]) {
      const refused = await app.inject(request);
      expect(refused.statusCode, request.url).toBe(401);
      expect(refused.json(), request.url).toMatchObject({ error: { code: 'unauthorized' } });
    }
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/api/search/text', payload: { query: 'a river' }, headers: { 'x-api-key': KEY } })).statusCode).toBe(200);
  });

  it('rate-limits each client with 429 and a JSON error, and serves it again after the window', async () => {
    await fixture.restart({ rateLimit: { max: 5, windowMs: 1000 } });
    const app = fixture.server.app;
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await app.inject({ url: '/api/stats' })).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const limited = await app.inject({ url: '/api/stats' });
    expect(limited.json()).toMatchObject({ error: { code: 'rate_limited', message: expect.stringContaining('at most 5 requests') } });
    // Health checks are not limited.
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await app.inject({ url: '/api/stats' })).statusCode).toBe(200);
  });
});
