/** Machine-readable error codes of the JSON API (`{ "error": { "code", "message" } }`). */
export type ApiErrorCode =
  | 'invalid_request'
  | 'malformed_request'
  | 'header_too_large'
  | 'expectation_failed'
  | 'request_timeout'
  | 'invalid_json'
  | 'unsupported_media_type'
  | 'body_too_large'
  | 'image_too_large'
  | 'invalid_image'
  | 'invalid_path'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'already_exists'
  | 'rate_limited'
  | 'not_ready'
  | 'unavailable'
  | 'internal_error';

/** An error the API reports to the client as it is: status, code and a message naming the field or file. */
export class ApiError extends Error {
  readonly statusCode: number;
  readonly code: ApiErrorCode;
  /** Extra, safe-to-show facts (the failing field, the limit that was exceeded). */
  readonly details: Record<string, unknown> | undefined;

  constructor(statusCode: number, code: ApiErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'ApiError';
    this.statusCode = statusCode;
    this.code = code;
    this.details = details;
  }
}

/** The JSON body of every error response. */
export interface ErrorBody {
  error: { code: ApiErrorCode; message: string; details?: Record<string, unknown>; requestId?: string };
}
