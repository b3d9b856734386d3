import { ImageDecodeError } from '@harma/data';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors';
import { errorResponse } from './error-response';

describe('errorResponse', () => {
  it('keeps API errors as they are, with the request id', () => {
    expect(errorResponse(new ApiError(409, 'already_exists', 'path: a.png is taken', { field: 'path' }), 'req-1')).toEqual({
      status: 409,
      internal: false,
      body: { error: { code: 'already_exists', message: 'path: a.png is taken', details: { field: 'path' }, requestId: 'req-1' } },
    });
  });

  it('maps image decoding failures to 400, and decompression bombs to 413', () => {
    expect(errorResponse(new ImageDecodeError('upload', 'not a readable image (bad)'))).toMatchObject({ status: 400, body: { error: { code: 'invalid_image' } } });
    const bomb = new ImageDecodeError('upload', '50000×50000 = 2500000000 pixels exceeds maxPixels 40000000 (refused as a possible decompression bomb)');
    expect(errorResponse(bomb)).toMatchObject({ status: 413, body: { error: { code: 'image_too_large' } } });
  });

  it('maps Fastify and multipart client errors by code', () => {
    const fastify = (code: string, statusCode: number, message: string) => Object.assign(new Error(message), { code, statusCode });
    expect(errorResponse(fastify('FST_ERR_CTP_BODY_TOO_LARGE', 413, 'Request body is too large'))).toMatchObject({ status: 413, body: { error: { code: 'body_too_large' } } });
    expect(errorResponse(fastify('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'Unsupported Media Type'))).toMatchObject({ status: 415, body: { error: { code: 'unsupported_media_type' } } });
    expect(errorResponse(fastify('FST_REQ_FILE_TOO_LARGE', 413, 'request file too large'))).toMatchObject({ status: 413, body: { error: { code: 'body_too_large' } } });
    expect(errorResponse(Object.assign(new SyntaxError('Unexpected token } in JSON'), { statusCode: 400 }))).toMatchObject({ status: 400, body: { error: { code: 'invalid_json' } } });
    expect(errorResponse(fastify('FST_ERR_SOMETHING', 400, 'first line\n    at secret (/srv/app.js:1:1)'))).toMatchObject({ status: 400, body: { error: { code: 'invalid_request', message: 'first line' } } });
  });

  it('hides everything about server errors', () => {
    const response = errorResponse(new Error('ENOENT: /srv/secret/path/index.sqlite'), 'req-9');
    expect(response.status).toBe(500);
    expect(response.internal).toBe(true);
    expect(JSON.stringify(response.body)).not.toContain('/srv');
    expect(response.body.error).toMatchObject({ code: 'internal_error', requestId: 'req-9' });
  });
});
