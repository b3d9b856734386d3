import net from 'node:net';
import type { InjectOptions } from 'fastify';

/** An HTTP response as it came over the socket. */
export interface RawResponse {
  status: number;
  /** Header names in lower case (the last value of a repeated header). */
  headers: Record<string, string>;
  /** Body bytes as sent: everything after the header block up to Content-Length, or to the end of the connection. */
  body: Buffer;
  /** Bytes after the first response (a second, pipelined response). */
  rest: Buffer;
}

/** Parse the first HTTP/1.1 response in `bytes` (Content-Length bodies only: the API never chunks errors). */
export function parseRawResponse(bytes: Buffer): RawResponse {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`no complete HTTP response head in ${JSON.stringify(bytes.toString('latin1').slice(0, 200))}`);
  const [statusLine, ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '');
  if (match === null) throw new Error(`not an HTTP status line: ${JSON.stringify(statusLine)}`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const start = end + 4;
  const length = headers['content-length'] === undefined ? bytes.length - start : Number(headers['content-length']);
  return { status: Number(match[1]), headers, body: bytes.subarray(start, start + length), rest: bytes.subarray(start + length) };
}

/**
 * Send `request` (raw bytes, written in the pieces given) to `port` on 127.0.0.1 and collect
 * everything the server sends until it closes the connection (or `timeoutMs` passes, then the
 * socket is closed by us).
 */
export function rawExchange(port: number, request: string | Buffer | Array<string | Buffer>, options: { timeoutMs?: number } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), options.timeoutMs ?? 10_000);
    socket.on('connect', () => {
      for (const piece of Array.isArray(request) ? request : [request]) socket.write(piece);
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A server that answers and then resets the connection still answered.
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
  });
}

/** An `inject` request as the bytes a client sends over a socket (`Connection: close`, so the server ends the exchange). */
export function rawRequestOf(request: InjectOptions): Buffer {
  const url = String(request.url ?? '/').replace(/ /g, '%20');
  const payload = request.payload === undefined ? Buffer.alloc(0) : Buffer.isBuffer(request.payload) ? request.payload : Buffer.from(typeof request.payload === 'string' ? request.payload : JSON.stringify(request.payload));
  const headers: Record<string, string> = { host: '127.0.0.1', connection: 'close' };
  for (const [name, value] of Object.entries(request.headers ?? {})) if (value !== undefined) headers[name.toLowerCase()] = String(value);
  if (payload.length > 0 || (request.method ?? 'GET') !== 'GET') headers['content-length'] = String(payload.length);
  const head = `${request.method ?? 'GET'} ${url} HTTP/1.1\r\n${Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), payload]);
}

/** Problems with a response that must be the API's JSON error: its shape, type and length. */
export function errorShapeProblems(response: RawResponse): string[] {
  const problems: string[] = [];
  if (!String(response.headers['content-type']).startsWith('application/json')) problems.push(`content type ${response.headers['content-type']}`);
  if (response.headers['content-length'] === undefined) problems.push('no Content-Length');
  else if (Number(response.headers['content-length']) !== response.body.length) problems.push(`Content-Length ${response.headers['content-length']} but ${response.body.length} body bytes`);
  let body: { error?: { code?: unknown; message?: unknown } } | undefined;
  try {
    body = JSON.parse(response.body.toString('utf8')) as typeof body;
  } catch {
    problems.push(`body is not JSON: ${JSON.stringify(response.body.toString('utf8').slice(0, 200))}`);
  }
  if (body !== undefined && (typeof body.error !== 'object' || typeof body.error.code !== 'string' || typeof body.error.message !== 'string' || body.error.message.length < 8)) {
    problems.push(`not the API's error shape: ${JSON.stringify(body).slice(0, 200)}`);
  }
  return problems;
}
