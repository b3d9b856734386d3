import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerOptions } from '../src/options';
import { errorShapeProblems, parseRawResponse, rawExchange } from './helpers/raw-http';
import { serverFixture, type ServerFixture } from './helpers/server-fixture';

const KEY = 'test-key-123456';
const MAX = 5;

describe('the rate limit counts every request', () => {
  let fixture: ServerFixture;

  beforeAll(async () => {
    fixture = await serverFixture({ images: 2, overrides: { apiKey: KEY, rateLimit: { max: MAX, windowMs: 60_000 } } });
  });

  afterAll(async () => {
    await fixture?.cleanup();
  });

  /** A fresh limiter (a new app), then `request` MAX + 2 times: the statuses, and the last body. */
  async function burst(request: (i: number) => InjectOptions, overrides: Partial<ServerOptions> = {}): Promise<{ statuses: number[]; last: Record<string, unknown> }> {
    await fixture.restart({ rateLimit: { max: MAX, windowMs: 60_000 }, ...overrides });
    const statuses: number[] = [];
    let last: Record<string, unknown> = {};
    for (let i = 0; i < MAX + 2; i++) {
      const response = await fixture.server.app.inject(request(i));
      statuses.push(response.statusCode);
      if (String(response.headers['content-type']).startsWith('application/json')) last = response.json();
    }
    return { statuses, last };
  }

  const limited = (status: number): number[] => [...Array.from({ length: MAX }, () => status), 429, 429];

  it('wrong API keys: a key cannot be guessed faster than the limit, and the right key is limited too once it is spent', async () => {
    const { statuses, last } = await burst((i) => ({ method: 'POST', url: '/api/gallery/reindex', headers: { 'x-api-key': i < MAX + 1 ? `guess-${i}-000000` : KEY } }));
    expect(statuses).toEqual(limited(401));
    expect(last).toMatchObject({ error: { code: 'rate_limited', message: expect.stringContaining(`at most ${MAX} requests`) } });
  });

  it('missing keys, unknown routes, 404s and other 4xx count as well', async () => {
    expect((await burst(() => ({ method: 'DELETE', url: '/api/gallery/1' }))).statuses).toEqual(limited(401));
    expect((await burst((i) => ({ url: `/api/no-such-route-${i}` }))).statuses).toEqual(limited(404));
    expect((await burst(() => ({ url: '/api/gallery/987654' }))).statuses).toEqual(limited(404));
    expect((await burst(() => ({ method: 'POST', url: '/api/search/text', payload: '{"query":', headers: { 'content-type': 'application/json' } }))).statuses).toEqual(limited(400));
    // A URL Fastify cannot decode is answered before routing (frameworkErrors); it counts too.
    expect((await burst(() => ({ url: '/api/gallery/%E0%A4%A' }))).statuses).toEqual(limited(400));
  });

  it('every client has its own budget; spoofed X-Forwarded-For headers do not make new clients', async () => {
    const spoofed = await burst((i) => ({ url: '/api/stats', headers: { 'x-forwarded-for': `203.0.113.${i}` } }));
    expect(spoofed.statuses).toEqual(limited(200));
    await fixture.restart({ rateLimit: { max: MAX, windowMs: 60_000 } });
    const statuses = [];
    for (let i = 0; i < MAX + 1; i++) statuses.push((await fixture.server.app.inject({ url: '/api/stats', remoteAddress: '198.51.100.1' })).statusCode);
    statuses.push((await fixture.server.app.inject({ url: '/api/stats', remoteAddress: '198.51.100.2' })).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 200]);
  });

  it('with trustProxy, the client is the address the trusted proxy forwards', async () => {
    // inject's peer is 127.0.0.1: trusted as a proxy here, so X-Forwarded-For names the client.
    const perClient = await burst((i) => ({ url: '/api/stats', headers: { 'x-forwarded-for': `203.0.113.${i}` } }), { trustProxy: '127.0.0.1' });
    expect(perClient.statuses).toEqual(Array.from({ length: MAX + 2 }, () => 200));
    const oneClient = await burst(() => ({ url: '/api/stats', headers: { 'x-forwarded-for': '203.0.113.7' } }), { trustProxy: '127.0.0.1' });
    expect(oneClient.statuses).toEqual(limited(200));
    // A proxy that is not trusted cannot name clients.
    const untrusted = await burst((i) => ({ url: '/api/stats', headers: { 'x-forwarded-for': `203.0.113.${i}` } }), { trustProxy: '10.0.0.0/8' });
    expect(untrusted.statuses).toEqual(limited(200));
  });

  it('over a real socket: key guesses from one address are limited, whatever X-Forwarded-For says', async () => {
    await fixture.restart({ rateLimit: { max: MAX, windowMs: 60_000 } });
    const port = Number(new URL(await fixture.server.listen()).port);
    const statuses: number[] = [];
    for (let i = 0; i < MAX + 2; i++) {
      const request = `POST /api/gallery/reindex HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Api-Key: guess-${i}-0000\r\nX-Forwarded-For: 198.51.100.${i}\r\nContent-Length: 0\r\n\r\n`;
      const response = parseRawResponse(await rawExchange(port, request));
      expect(errorShapeProblems(response)).toEqual([]);
      statuses.push(response.status);
    }
    expect(statuses).toEqual(limited(401));
  });

  it('does not limit /healthz (constant work, no key) but does limit /metrics (it can need the key)', async () => {
    expect((await burst(() => ({ url: '/healthz' }))).statuses).toEqual(Array.from({ length: MAX + 2 }, () => 200));
    expect((await burst(() => ({ url: '/metrics' }))).statuses).toEqual(limited(200));
  });
});
