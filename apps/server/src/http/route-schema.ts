import type { ImageFormSchema } from './read-upload';
import type { ApiSchemas } from './schemas';

/** Statuses a route may answer with the API's JSON error besides 500. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429;

/**
 * The error replies a route's handler and body parsing can give, for its `schema.response`. The
 * access check's 401/403 and the rate limit's 429 come from hooks, and the OpenAPI document adds
 * them from the route's `config` (`openapi.ts`).
 */
export function errorReplies(schemas: ApiSchemas, ...statuses: ErrorStatus[]): Record<number, ApiSchemas['errorResponse']> {
  return Object.fromEntries(statuses.map((status) => [status, schemas.errorResponse]));
}

/** A multipart/form-data body with `form`'s fields, for `schema.body`: Fastify leaves it to the handler, which reads it with `readImageUpload(request, limit, form)`. */
export function multipartBody(form: ImageFormSchema): { content: { 'multipart/form-data': { schema: ImageFormSchema } } } {
  return { content: { 'multipart/form-data': { schema: form } } };
}

/** A reply that is not JSON (an image, text), for `schema.response`: documented as it is, never serialised. */
export interface RawReply {
  description: string;
  content: Record<string, { schema: Record<string, unknown> }>;
}

/** A reply of `mediaType` whose body is `format` (`binary` bytes or plain `text`). */
export function rawReply(mediaType: string, format: 'binary' | 'text', description: string): RawReply {
  return { description, content: { [mediaType]: { schema: format === 'binary' ? { type: 'string', format: 'binary' } : { type: 'string' } } } };
}
