import type { FastifySchemaCompiler } from 'fastify';
import { z } from 'zod/v4';
import { ApiError } from '../errors';

const MAX_LISTED_ISSUES = 5;
/** Unknown keys an error names; the rest are counted (a body with 20,000 of them gets a short answer). */
const MAX_LISTED_KEYS = 10;
/** Longest key or field name an error repeats. */
const MAX_NAME_CHARS = 100;

function shortName(name: string): string {
  return name.length > MAX_NAME_CHARS ? `${name.slice(0, MAX_NAME_CHARS)}…` : name;
}

/** `unknown fields "a", "b" … and 19,990 more`. */
function unknownKeysMessage(keys: readonly string[]): string {
  const listed = keys.slice(0, MAX_LISTED_KEYS).map((key) => JSON.stringify(shortName(key)));
  const more = keys.length - listed.length;
  return `unknown field${keys.length > 1 ? 's' : ''} ${listed.join(', ')}${more > 0 ? ` … and ${more.toLocaleString('en')} more` : ''}`;
}

/** Where a request value comes from, as error messages name it (`body.k`, `query.k`, `params.id`, `form.path`). */
export type RequestPart = 'body' | 'query' | 'params' | 'form';

const PARTS: Readonly<Record<string, RequestPart>> = { body: 'body', querystring: 'query', params: 'params' };

/**
 * Parse `value` (a request's body, query, params or form fields) with `schema`, or throw a 400
 * naming every offending field (`body.k: k must be at most 100`).
 */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown, where: RequestPart): z.output<S> {
  const checked = checkRequest(schema, value, where);
  if ('error' in checked) throw checked.error;
  return checked.value;
}

function checkRequest<S extends z.ZodType>(schema: S, value: unknown, where: RequestPart): { value: z.output<S> } | { error: ApiError } {
  // A missing part arrives as undefined or null (Fastify's choice); zod's message then says "received undefined".
  const parsed = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  return parsed.success ? { value: parsed.data } : { error: validationError(parsed.error, where) };
}

function validationError(error: z.ZodError, where: RequestPart): ApiError {
  const issues = error.issues.map((issue) => {
    const field = [where, ...issue.path.map((key) => shortName(String(key)))].join('.');
    const message = issue.code === 'unrecognized_keys' ? unknownKeysMessage(issue.keys) : issue.message;
    return { field, message };
  });
  const listed = issues.slice(0, MAX_LISTED_ISSUES).map((issue) => `${issue.field}: ${issue.message}`);
  if (issues.length > MAX_LISTED_ISSUES) listed.push(`and ${issues.length - MAX_LISTED_ISSUES} more`);
  return new ApiError(400, 'invalid_request', `invalid request: ${listed.join('; ')}`, { issues: issues.slice(0, 20) });
}

/**
 * Fastify's validator compiler for the zod schemas routes declare (`schema.body`, `querystring`,
 * `params`): a failure is the API's 400 `invalid_request` error naming the fields, exactly as the
 * handlers reported it when they parsed their input themselves, and a success replaces the part
 * with zod's output (defaults applied, strings of digits turned into numbers).
 *
 * A multipart body (`body: { content: { 'multipart/form-data': { schema } } }`) is streamed by the
 * handler, so nothing is there to validate yet: `readImageUpload` checks its parts against the same
 * schema. Anything that is not a zod schema is refused when the route is added, so no declared
 * part can go unchecked.
 */
export const requestValidatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, method, url, httpPart, contentType }) => {
  const where = httpPart === undefined ? undefined : PARTS[httpPart];
  if (where === undefined) throw new Error(`${method} ${url}: the API validates body, querystring and params only, not ${httpPart ?? 'an unnamed part'}`);
  if (!(schema instanceof z.ZodType)) throw new Error(`${method} ${url}: the ${httpPart} schema must be a zod (zod/v4) schema`);
  if (where === 'body' && contentType?.startsWith('multipart/') === true) return () => true;
  return (data: unknown) => checkRequest(schema, data, where);
};
