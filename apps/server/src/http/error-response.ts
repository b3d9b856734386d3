import { ImageDecodeError } from '@harma/data';
import { ApiError, type ApiErrorCode, type ErrorBody } from '../errors';

const FASTIFY_CODES: Readonly<Record<string, { status: number; code: ApiErrorCode }>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'body_too_large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'invalid_json' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid_json' },
  FST_REQ_FILE_TOO_LARGE: { status: 413, code: 'body_too_large' },
  FST_PARTS_LIMIT: { status: 413, code: 'body_too_large' },
  FST_FILES_LIMIT: { status: 413, code: 'body_too_large' },
  FST_FIELDS_LIMIT: { status: 413, code: 'body_too_large' },
  FST_INVALID_MULTIPART_CONTENT_TYPE: { status: 415, code: 'unsupported_media_type' },
};

interface ErrorLike {
  statusCode?: unknown;
  code?: unknown;
  message?: unknown;
  name?: unknown;
}

/** What a failed request answers: status and JSON body; `internal` says the cause must be logged, not shown. */
export interface ErrorResponse {
  status: number;
  body: ErrorBody;
  internal: boolean;
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).slice(0, 500);
}

/**
 * Map any error to the API's JSON error body. Client errors keep their (safe) message; anything
 * else becomes a generic 500 whose cause is only logged: no stack trace or internal path reaches
 * the client.
 */
export function errorResponse(error: unknown, requestId?: string): ErrorResponse {
  const withId = (status: number, code: ApiErrorCode, message: string, details?: Record<string, unknown>): ErrorResponse => ({
    status,
    body: { error: { code, message, ...(details === undefined ? {} : { details }), ...(requestId === undefined ? {} : { requestId }) } },
    internal: status >= 500,
  });
  if (error instanceof ApiError) return withId(error.statusCode, error.code, error.message, error.details);
  if (error instanceof ImageDecodeError) {
    const tooLarge = /exceeds maxPixels/.test(error.message);
    return withId(tooLarge ? 413 : 400, tooLarge ? 'image_too_large' : 'invalid_image', firstLine(error.message));
  }
  const like = (typeof error === 'object' && error !== null ? error : {}) as ErrorLike;
  const code = typeof like.code === 'string' ? like.code : undefined;
  const message = typeof like.message === 'string' ? firstLine(like.message) : 'request failed';
  const known = code === undefined ? undefined : FASTIFY_CODES[code];
  if (known !== undefined) return withId(known.status, known.code, message);
  const status = typeof like.statusCode === 'number' ? like.statusCode : 500;
  if (status === 400 && like.name === 'SyntaxError') return withId(400, 'invalid_json', `the body is not valid JSON (${message})`);
  if (status === 404) return withId(404, 'not_found', message);
  if (status === 405) return withId(405, 'method_not_allowed', message);
  if (status === 413) return withId(413, 'body_too_large', message);
  if (status === 415) return withId(415, 'unsupported_media_type', message);
  if (status === 429) return withId(429, 'rate_limited', message);
  if (status >= 400 && status < 500) return withId(status, 'invalid_request', message);
  return withId(500, 'internal_error', 'internal error; the server log has the details under this request id');
}
