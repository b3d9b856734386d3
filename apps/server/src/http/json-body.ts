import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../errors';

/** Character sets a JSON body may declare: UTF-8 only (RFC 8259 §8.1), under either spelling. */
const UTF8 = new Set(['utf-8', 'utf8']);

/** The `charset` parameter of a Content-Type header, lower case and unquoted; undefined when absent. */
export function contentTypeCharset(contentType: string | undefined): string | undefined {
  for (const parameter of (contentType ?? '').split(';').slice(1)) {
    const equals = parameter.indexOf('=');
    if (equals < 0 || parameter.slice(0, equals).trim().toLowerCase() !== 'charset') continue;
    return parameter.slice(equals + 1).trim().replace(/^"(.*)"$/, '$1').toLowerCase();
  }
  return undefined;
}

/**
 * Where a parsed JSON value holds a key that would set an object's prototype if the value were
 * ever merged into another object: `__proto__` anywhere, or `constructor` holding `prototype`.
 * Returns the key's path (`['texts', '1', '__proto__']`) and the key as named to the client, or
 * undefined. Walks without recursion, so a deeply nested body cannot overflow the stack.
 */
export function findPrototypeKey(value: unknown): { path: string[]; key: string } | undefined {
  // Each entry links to its parent instead of copying the path: linear in the body's size at any depth.
  interface Entry {
    value: unknown;
    key: string;
    parent: Entry | undefined;
  }
  const pathOf = (entry: Entry | undefined, ...tail: string[]): string[] => {
    const keys: string[] = [];
    for (let at = entry; at?.parent !== undefined; at = at.parent) keys.push(at.key);
    return [...keys.reverse(), ...tail];
  };
  const stack: Entry[] = [{ value, key: '', parent: undefined }];
  while (stack.length > 0) {
    const entry = stack.pop() as Entry;
    const node = entry.value;
    if (typeof node !== 'object' || node === null) continue;
    const keys = Object.keys(node);
    if (keys.includes('__proto__')) return { path: pathOf(entry, '__proto__'), key: '__proto__' };
    const constructor = (node as Record<string, unknown>).constructor;
    if (keys.includes('constructor') && typeof constructor === 'object' && constructor !== null && Object.hasOwn(constructor, 'prototype')) {
      return { path: pathOf(entry, 'constructor', 'prototype'), key: 'constructor.prototype' };
    }
    for (const key of keys) stack.push({ value: (node as Record<string, unknown>)[key], key, parent: entry });
  }
  return undefined;
}

/** Parse a JSON request body as the API accepts it, or throw the API's error saying what is wrong. */
export function parseJsonBody(text: string, contentType: string | undefined): unknown {
  const charset = contentTypeCharset(contentType);
  if (charset !== undefined && !UTF8.has(charset)) {
    throw new ApiError(415, 'unsupported_media_type', `only UTF-8 JSON is accepted; the body says charset=${charset.slice(0, 40)} (send it as UTF-8, with charset=utf-8 or no charset)`);
  }
  if (text.trim() === '') throw new ApiError(400, 'invalid_json', 'the body is empty; send a JSON object');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ApiError(400, 'invalid_json', `the body is not valid JSON (${(error as Error).message.slice(0, 200)})`);
  }
  const poisoned = findPrototypeKey(value);
  if (poisoned !== undefined) {
    const field = ['body', ...poisoned.path].join('.');
    const message = `the key ${poisoned.key} is not allowed (it could change object prototypes)`;
    throw new ApiError(400, 'invalid_request', `invalid request: ${field}: ${message}`, { issues: [{ field, message }] });
  }
  return value;
}

/**
 * Replace Fastify's JSON body parser with `parseJsonBody`: bodies in another character set than
 * UTF-8 are a 415, valid JSON with a prototype key is a 400 that names the key and where it is
 * (Fastify's parser calls both "not valid JSON"), and the body limit stays Fastify's.
 */
export function registerJsonBodyParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request: FastifyRequest, body: string | Buffer, done: (error: Error | null, value?: unknown) => void) => {
    try {
      done(null, parseJsonBody(typeof body === 'string' ? body : body.toString('utf8'), request.headers['content-type']));
    } catch (error) {
      done(error as Error);
    }
  });
}
