import swagger, { type SwaggerTransform } from '@fastify/swagger';
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import { z } from 'zod/v4';
import type { ResolvedServerOptions } from '../options';
import type { ApiSchemas } from './schemas';

type JsonSchema = Record<string, unknown>;

const ERROR_TEXT: Readonly<Record<string, string>> = {
  400: 'Invalid request (the message names the field)',
  401: 'Missing or wrong API key',
  403: 'Write endpoints disabled (no API key configured)',
  404: 'Not found',
  409: 'Conflict (the path is taken)',
  413: 'Body, file or image too large',
  415: 'Wrong content type, or JSON in another character set than UTF-8',
  417: 'An Expect header other than 100-continue',
  429: 'Rate limit exceeded',
  431: 'Request headers too large (16 KiB in all)',
  503: 'The server is shutting down',
};

/** What any request can be answered, before or besides its route: a malformed request or one without Host (400), an unsupported Expect (417), headers over the limit (431), shutdown (503). */
const HTTP_LAYER_STATUSES = ['400', '417', '431', '503'];

const ERROR_REF = { $ref: '#/components/schemas/Error' };
const KEY_SECURITY: ReadonlyArray<Record<string, string[]>> = [{ apiKey: [] }, { bearer: [] }];

/** JSON Schema of a zod schema as a request (`input`: before defaults and transforms) or a reply (`output`) has it. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

function isContentMap(value: unknown): value is { content: Record<string, { schema: unknown }> } {
  return typeof value === 'object' && value !== null && !(value instanceof z.ZodType) && 'content' in value;
}

function zodOnly(schema: unknown, where: string): z.ZodType {
  if (!(schema instanceof z.ZodType)) throw new Error(`${where} must be a zod (zod/v4) schema`);
  return schema;
}

export interface OpenApiContext {
  options: ResolvedServerOptions;
  schemas: ApiSchemas;
  /** The package version, shown as the document's version. */
  version: string;
}

/**
 * One route's schema as @fastify/swagger documents it: the zod schemas the route validates with,
 * as JSON Schema; its JSON replies (the shared error shape by reference); and what the hooks add
 * from the route's `config`: the API key (`access`: security, 401/403) and the rate limit (429).
 */
function routeTransform({ options, schemas }: OpenApiContext): SwaggerTransform {
  return ({ schema, url, route }) => {
    if (schema === undefined || schema.hide === true) return { schema: { hide: true }, url };
    const { querystring, params, body, response, headers: _headers, ...described } = schema;
    const where = `${String(route.method)} ${url}`;
    const documented: FastifySchema = { ...described, security: routeSecurity(route, options) };
    if (querystring !== undefined) documented.querystring = jsonSchema(zodOnly(querystring, `${where} querystring`), 'input');
    if (params !== undefined) documented.params = jsonSchema(zodOnly(params, `${where} params`), 'input');
    if (body !== undefined) {
      documented.body = isContentMap(body)
        ? { content: Object.fromEntries(Object.entries(body.content).map(([type, { schema: form }]) => [type, { schema: jsonSchema(zodOnly(form, `${where} ${type} body`), 'input') }])) }
        : jsonSchema(zodOnly(body, `${where} body`), 'input');
    }
    const replies: Record<string, unknown> = {};
    for (const [status, reply] of Object.entries((response ?? {}) as Record<string, unknown>)) {
      if (reply === schemas.errorResponse) replies[status] = errorReply(status);
      else if (isContentMap(reply)) replies[status] = reply;
      else {
        // A reply schema's description (`.describe('Added')`) says what the status means.
        const { description, ...output } = jsonSchema(zodOnly(reply, `${where} reply ${status}`), 'output');
        replies[status] = { description: typeof description === 'string' ? description : 'OK', content: { 'application/json': { schema: output } } };
      }
    }
    for (const status of hookStatuses(route, options)) replies[status] ??= errorReply(status);
    documented.response = replies;
    return { schema: documented, url };
  };
}

function errorReply(status: string): unknown {
  return { description: ERROR_TEXT[status] ?? 'Error', content: { 'application/json': { schema: ERROR_REF } } };
}

function routeSecurity(route: RouteOptions, options: ResolvedServerOptions): typeof KEY_SECURITY {
  const access = route.config?.access ?? 'read';
  return access === 'write' || (access === 'read' && options.requireKeyForReads) ? KEY_SECURITY : [];
}

/** Error statuses the HTTP layer and the `onRequest` hooks answer before the route runs. */
function hookStatuses(route: RouteOptions, options: ResolvedServerOptions): string[] {
  const access = route.config?.access ?? 'read';
  const statuses: string[] = [...HTTP_LAYER_STATUSES];
  if (access === 'write') statuses.push('401', '403');
  else if (access === 'read' && options.requireKeyForReads) statuses.push('401');
  if (options.rateLimit !== false && route.config?.rateLimit !== false) statuses.push('429');
  return statuses;
}

/** Every route must say what it is (`schema.summary` and `schema.response`) or that it stays out of the document (`schema.hide`). */
function requireDocumented(route: RouteOptions): void {
  const schema = route.schema;
  if (schema?.hide === true) return;
  if (typeof schema?.summary !== 'string' || schema.response === undefined) {
    throw new Error(`${String(route.method)} ${route.url}: every route declares schema.summary and schema.response (or schema.hide) so that the OpenAPI document describes it`);
  }
}

/**
 * Register @fastify/swagger so that the OpenAPI 3.1 document (`app.swagger()`) is generated from
 * the routes added after this call: their paths and methods, the zod schemas they validate
 * requests with, their replies, access and rate limit. A route that declares none of it is refused.
 */
export async function registerOpenApi(app: FastifyInstance, context: OpenApiContext): Promise<void> {
  const { options, schemas, version } = context;
  const limits = options.limits;
  app.addHook('onRoute', requireDocumented);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'HarMA.js retrieval service',
        version,
        description:
          'Text-to-image, image-to-image and image-to-caption search over a remote-sensing image archive with a HarMA-adapted CLIP model. ' +
          'Every error is JSON ({"error": {"code", "message"}}), those of the HTTP layer included (a malformed request 400, headers over 16 KiB 431, an Expect other than 100-continue 417, shutdown 503). ' +
          `JSON bodies are UTF-8. ${options.rateLimit === false ? '' : `Every request counts against the rate limit (${options.rateLimit.max} per ${options.rateLimit.windowMs / 1000} s per client) except /healthz. `}` +
          `Limits: JSON bodies ${limits.jsonBodyBytes} bytes, uploads ${limits.uploadBytes} bytes, ` +
          `images ${limits.maxImagePixels} pixels, queries ${limits.maxQueryChars} characters, k ≤ ${limits.maxTopK}. Text is normalised like the paper's captions before encoding.`,
      },
      components: {
        securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' }, bearer: { type: 'http', scheme: 'bearer' } },
        schemas: { Error: jsonSchema(schemas.errorResponse, 'output'), GalleryItem: jsonSchema(schemas.galleryItem, 'output') },
      },
    },
    transform: routeTransform(context),
    // OpenAPI 3.1 has `const`; keep the schemas as zod wrote them.
    convertConstToEnum: false,
  });
}
