import { describe, expect, it } from 'vitest';
import { clientErrorReply } from './client-errors';

const parseError = (code: string, message: string): Error & { code: string } => Object.assign(new Error(message), { code });

describe('clientErrorReply', () => {
  it("maps Node's parser errors to the API's errors: 431 for a large head, 408 for a slow request, 400 for the rest", () => {
    expect(clientErrorReply(parseError('HPE_HEADER_OVERFLOW', 'Parse Error: Header overflow'))).toMatchObject({ status: 431, reason: 'Request Header Fields Too Large', body: { error: { code: 'header_too_large' } } });
    expect(clientErrorReply(parseError('ERR_HTTP_REQUEST_TIMEOUT', 'Request timeout'))).toMatchObject({ status: 408, body: { error: { code: 'request_timeout' } } });
    expect(clientErrorReply(parseError('HPE_INVALID_METHOD', 'Parse Error: Invalid method encountered'))).toEqual({
      status: 400,
      reason: 'Bad Request',
      body: { error: { code: 'malformed_request', message: 'malformed HTTP request (Invalid method encountered); the server could not read its request line, headers or body framing' } },
    });
  });
});
