import { describe, expect, it } from 'vitest';
import { z } from 'zod/v4';
import { ApiError } from '../errors';
import { requestValidatorCompiler } from './validate';

const query = z.object({ k: z.string().regex(/^\d+$/, 'k must be a decimal integer').transform(Number).optional() }).strict();
const body = z.object({ query: z.string('query must be a string'), k: z.number().int().default(10) }).strict();

function compile(schema: unknown, httpPart: string, contentType?: string) {
  return requestValidatorCompiler({ schema, method: 'POST', url: '/api/x', httpPart, ...(contentType === undefined ? {} : { contentType }) });
}

describe('requestValidatorCompiler', () => {
  it('hands the parsed value to Fastify: defaults applied, query strings turned into numbers', () => {
    expect(compile(body, 'body')({ query: 'a river' })).toEqual({ value: { query: 'a river', k: 10 } });
    expect(compile(query, 'querystring')({ k: '7' })).toEqual({ value: { k: 7 } });
    // Fastify passes a missing query string as null: it is an empty one.
    expect(compile(query, 'querystring')(null)).toEqual({ value: {} });
  });

  it("fails with the API's 400 naming every offending field of the part", () => {
    const result = compile(body, 'body')({ query: 3, k: 1.5, extra: true }) as { error: ApiError };
    expect(result.error).toBeInstanceOf(ApiError);
    expect(result.error.statusCode).toBe(400);
    expect(result.error.code).toBe('invalid_request');
    expect(result.error.message).toBe('invalid request: body.query: query must be a string; body.k: Invalid input: expected int, received number; body: unknown field "extra"');
    expect((compile(query, 'querystring')({ k: 'x' }) as { error: ApiError }).error.message).toBe('invalid request: query.k: k must be a decimal integer');
    expect((compile(body, 'body')(null) as { error: ApiError }).error.message).toBe('invalid request: body: Invalid input: expected object, received undefined');
  });

  it('names ten unknown keys and counts the rest, shortening long ones, in the message and the details', () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `key${i}`);
    const result = compile(body, 'body')({ query: 'a', ...Object.fromEntries(keys.map((key) => [key, 1])) }) as { error: ApiError };
    const listed = keys.slice(0, 10).map((key) => `"${key}"`).join(', ');
    expect(result.error.message).toBe(`invalid request: body: unknown fields ${listed} … and 19,990 more`);
    expect(result.error.details).toEqual({ issues: [{ field: 'body', message: `unknown fields ${listed} … and 19,990 more` }] });
    const long = compile(body, 'body')({ query: 'a', ['y'.repeat(5000)]: 1 }) as { error: ApiError };
    expect(long.error.message).toBe(`invalid request: body: unknown field "${'y'.repeat(100)}…"`);
  });

  it('leaves a multipart body to the handler, which reads the parts against the same schema', () => {
    expect(compile(z.object({ image: z.file() }), 'body', 'multipart/form-data')(null)).toBe(true);
  });

  it('refuses, when the route is added, a schema that is not zod or a part it does not validate', () => {
    expect(() => compile({ type: 'object' }, 'body')).toThrow('POST /api/x: the body schema must be a zod (zod/v4) schema');
    expect(() => compile(query, 'headers')).toThrow('the API validates body, querystring and params only, not headers');
  });
});
