import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../src/server';
import { errorShapeProblems, parseRawResponse, rawExchange, type RawResponse } from './helpers/raw-http';
import { serverFixture, type ServerFixture } from './helpers/server-fixture';

/**
 * Requests Node's HTTP parser or server refuses before Fastify routes them (they never reach
 * `inject`): over a real socket, each must still be answered with the API's JSON error.
 */
describe('errors of the HTTP layer, over a real socket', () => {
  let fixture: ServerFixture;
  let port: number;

  beforeAll(async () => {
    fixture = await serverFixture({ images: 2 });
    port = Number(new URL(await fixture.server.listen()).port);
  });

  afterAll(async () => {
    await fixture?.cleanup();
  });

  const exchange = async (request: string | Buffer | Array<string | Buffer>): Promise<RawResponse> => parseRawResponse(await rawExchange(port, request));

  it.each([
    ['a request line that is not HTTP', 400, 'GARBAGE\r\n\r\n'],
    ['an unknown HTTP version', 400, 'GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n'],
    ['a method with a forbidden character', 400, 'G@T /healthz HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a space inside the request target', 400, 'GET /api/gallery ?x=1 HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a header name with a space', 400, 'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n'],
    ['a header line without a colon', 400, 'GET /healthz HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n'],
    ['a header value with a bare CR', 400, 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n'],
    ['a non-numeric Content-Length', 400, 'POST /api/search/text HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}'],
    ['both Content-Length and chunked', 400, 'POST /api/search/text HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n'],
    ['a chunk size that is not hex', 400, 'POST /api/search/text HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n'],
    ['a 20 KiB header', 431, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`],
    ['400 headers', 431, `GET /healthz HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 400 }, (_, i) => `X-H${i}: ${'v'.repeat(40)}\r\n`).join('')}\r\n`],
    ['an HTTP/1.1 request without Host', 400, 'GET /healthz HTTP/1.1\r\n\r\n'],
    ['Expect: bogus', 417, 'POST /api/search/text HTTP/1.1\r\nHost: x\r\nExpect: bogus\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}'],
  ] as Array<[string, number, string]>)('%s: %i with the API\'s JSON error', async (_name, status, request) => {
    const response = await exchange(request);
    expect(response.status, response.body.toString()).toBe(status);
    expect(errorShapeProblems(response)).toEqual([]);
    const { error } = JSON.parse(response.body.toString()) as { error: { code: string; message: string } };
    expect(error.code).toBe(status === 431 ? 'header_too_large' : status === 417 ? 'expectation_failed' : 'malformed_request');
    // The server goes on serving.
    expect((await exchange('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).status).toBe(200);
  });

  it('says what was wrong: the missing Host, the unsupported expectation, the header limit', async () => {
    const message = async (request: string): Promise<string> => (JSON.parse((await exchange(request)).body.toString()) as { error: { message: string } }).error.message;
    expect(await message('GET /healthz HTTP/1.1\r\n\r\n')).toContain('Host');
    expect(await message('POST /api/search/text HTTP/1.1\r\nHost: x\r\nExpect: bogus\r\nContent-Length: 0\r\n\r\n')).toContain('Expect: bogus');
    expect(await message(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`)).toContain('16 KiB');
  });

  it('an HTTP/1.0 request needs no Host; Expect: 100-continue is honoured', async () => {
    expect((await exchange('GET /healthz HTTP/1.0\r\n\r\n')).status).toBe(200);
    const raw = (await rawExchange(port, 'POST /api/search/text HTTP/1.1\r\nHost: x\r\nConnection: close\r\nExpect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: 18\r\n\r\n{"query": "river"}')).toString('latin1');
    expect(raw.startsWith('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK')).toBe(true);
  });

  it('listening on a port in use, or an address of another machine, says so and which option to change', async () => {
    const { default: net } = await import('node:net');
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const busy = (taken.address() as { port: number }).port;
    const other = await createServer({ ...fixture.server.options, indexDir: path.join(fixture.root, 'index-2'), port: busy, captions: undefined }, { logger: fixture.logs.logger });
    try {
      await expect(other.listen()).rejects.toThrow(`127.0.0.1:${busy} is already in use (another server, or an earlier one still running): choose another port with --port <n> (option \`port\`), or --port 0 for any free port`);
    } finally {
      await other.close();
      taken.close();
    }
    // An address that is not this machine's (TEST-NET-3).
    const elsewhere = await createServer({ ...fixture.server.options, indexDir: path.join(fixture.root, 'index-3'), host: '203.0.113.1', port: 0, captions: undefined }, { logger: fixture.logs.logger });
    try {
      await expect(elsewhere.listen()).rejects.toThrow('203.0.113.1 is not an address of this machine: choose another with --host');
    } finally {
      await elsewhere.close();
    }
  });

  it('a request arriving while the server shuts down gets a 503 in the API\'s shape', async () => {
    // Two pipelined requests on one connection: the first (its body still coming) holds the
    // connection open while the server starts closing; the second is answered 503.
    const body = '{"query": "a river"}';
    const head = `POST /api/search/text HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const { default: net } = await import('node:net');
    const socket = net.connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    const ended = new Promise((resolve) => socket.on('close', resolve));
    await new Promise((resolve) => socket.on('connect', resolve));
    socket.write(head + body.slice(0, 5));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closing = fixture.server.app.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.write(`${body.slice(5)}GET /api/stats HTTP/1.1\r\nHost: x\r\n\r\n`);
    await ended;
    await closing;
    const first = parseRawResponse(Buffer.concat(chunks));
    expect(first.status).toBe(200);
    const second = parseRawResponse(first.rest);
    expect(second.status).toBe(503);
    expect(errorShapeProblems(second)).toEqual([]);
    expect(JSON.parse(second.body.toString())).toMatchObject({ error: { code: 'unavailable', message: expect.stringContaining('shutting down') } });
    await fixture.restart();
    port = Number(new URL(await fixture.server.listen()).port);
  });
});
