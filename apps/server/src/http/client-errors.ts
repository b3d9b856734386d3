import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ApiErrorCode, ErrorBody } from '../errors';

/** Node's default limit on the request head (`--max-http-header-size`, 16 KiB unless changed). */
const HEADER_LIMIT_KIB = 16;

/** How a refused request is answered when there is no Fastify request to answer it with. */
export interface ClientErrorReply {
  status: number;
  reason: string;
  body: ErrorBody;
}

const REASONS: Readonly<Record<number, string>> = { 400: 'Bad Request', 408: 'Request Timeout', 417: 'Expectation Failed', 431: 'Request Header Fields Too Large' };

function reply(status: number, code: ApiErrorCode, message: string): ClientErrorReply {
  return { status, reason: REASONS[status] ?? 'Error', body: { error: { code, message } } };
}

/**
 * The API's answer to an error Node's HTTP parser raised on a connection (`clientError`): a
 * request head over the size limit is a 431, a request that took too long a 408, anything else the
 * parser refused (request line, header syntax, Content-Length, chunked encoding) a 400 saying so.
 */
export function clientErrorReply(error: Error & { code?: string }): ClientErrorReply {
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    return reply(431, 'header_too_large', `the request's headers are larger than the server accepts (${HEADER_LIMIT_KIB} KiB in all); send fewer or shorter headers`);
  }
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return reply(408, 'request_timeout', 'the request took too long to arrive; send it again');
  const detail = (error.message.split('\n')[0] ?? '').replace(/^Parse Error: /, '').slice(0, 120);
  return reply(400, 'malformed_request', `malformed HTTP request${detail === '' ? '' : ` (${detail})`}; the server could not read its request line, headers or body framing`);
}

/** Write `answer` as a complete HTTP/1.1 response that closes the connection. */
function writeRaw(socket: Socket, answer: ClientErrorReply): void {
  const body = JSON.stringify(answer.body);
  socket.end(
    `HTTP/1.1 ${answer.status} ${answer.reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * Fastify's `clientErrorHandler`: answer a request Node could not parse with the API's JSON error
 * (Fastify's default writes another shape), unless the connection is gone or a response on it has
 * begun, as Node's own handler does.
 */
export function handleClientError(error: Error & { code?: string }, socket: Socket): void {
  const started = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (error.code === 'ECONNRESET' || socket.destroyed || !socket.writable || started) {
    socket.destroy();
    return;
  }
  writeRaw(socket, clientErrorReply(error));
}

/**
 * The server's `checkExpectation` listener: a request whose `Expect` header is not
 * `100-continue` gets a 417 in the API's shape (Node's default answer has an empty body).
 */
export function refuseExpectation(request: IncomingMessage, response: ServerResponse): void {
  const expectation = String(request.headers.expect ?? '').slice(0, 60);
  const body = JSON.stringify({
    error: { code: 'expectation_failed', message: `the server cannot meet \`Expect: ${expectation}\`; only \`Expect: 100-continue\` is supported (or send no Expect header)` },
  } satisfies ErrorBody);
  response.writeHead(417, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'x-content-type-options': 'nosniff', connection: 'close' });
  response.end(body);
}
