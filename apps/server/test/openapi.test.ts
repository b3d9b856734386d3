import type { FastifyInstance, InjectOptions, RouteOptions } from 'fastify';
import type * as FastifyModule from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod/v4';
import { multipartBody } from './helpers/http';
import { serverFixture, type ServerFixture } from './helpers/server-fixture';

// Every route Fastify registers, as the app's own `onRoute` hooks see it: the list the document must cover.
const registered = vi.hoisted(() => [] as RouteOptions[]);
vi.mock('fastify', async (importOriginal) => {
  const actual = await importOriginal<typeof FastifyModule>();
  const create = (...args: unknown[]): FastifyInstance => {
    const app = (actual.default as unknown as (...a: unknown[]) => FastifyInstance)(...args);
    app.addHook('onRoute', (route) => {
      registered.push(route);
    });
    return app;
  };
  return { ...actual, default: create };
});

const KEY = 'test-key-123456';
/** Routes that are not part of the API (the web page) and stay out of the document. */
const HIDDEN = ['GET /', 'GET /static/app.js', 'GET /static/result-card.js', 'GET /static/style.css'];

interface Parameter {
  name: string;
  in: 'query' | 'path';
  required: boolean;
}
interface ObjectSchema {
  type?: string;
  properties?: Record<string, unknown>;
  required?: string[];
  additionalProperties?: unknown;
}
interface Operation {
  security?: Array<Record<string, string[]>>;
  parameters?: Parameter[];
  requestBody?: { required: boolean; content: Record<string, { schema: ObjectSchema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: { $ref?: string } }> }>;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, ObjectSchema>; securitySchemes: Record<string, unknown> };
}

/** A zod object schema's fields, and which of them a request must carry (no default, not optional). */
function fields(schema: unknown): { names: string[]; required: string[] } {
  expect(schema).toBeInstanceOf(z.ZodObject);
  const shape = (schema as z.ZodObject).shape;
  const names = Object.keys(shape).sort();
  return { names, required: names.filter((name) => !(shape[name] as z.ZodType).isOptional()) };
}

const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');
const routeName = (route: RouteOptions) => `${String(route.method)} ${route.url}`;

describe('the OpenAPI document is generated from the routes', () => {
  let fixture: ServerFixture;
  let document: Document;
  let routes: RouteOptions[];

  const app = () => fixture.server.app;
  const operationOf = (route: RouteOptions) => document.paths[openApiPath(route.url)]?.[String(route.method).toLowerCase()];
  /** Send `request` to `route` (with the key, so that write routes get past the access check); the error message, if any. */
  const send = async (route: RouteOptions, request: Omit<InjectOptions, 'method'>): Promise<{ status: number; message: string }> => {
    const response = await app().inject({ url: route.url, ...request, method: route.method as 'GET', headers: { 'x-api-key': KEY, ...request.headers } });
    const body = response.headers['content-type']?.toString().startsWith('application/json') ? (response.json() as { error?: { message?: string } }) : {};
    return { status: response.statusCode, message: body.error?.message ?? '' };
  };

  beforeAll(async () => {
    registered.length = 0;
    fixture = await serverFixture({ images: 3, overrides: { rateLimit: { max: 10_000, windowMs: 60_000 } } });
    routes = registered.filter((route) => route.method !== 'HEAD');
    const response = await app().inject({ url: '/docs/openapi.json' });
    expect(response.statusCode).toBe(200);
    document = response.json();
  });

  afterAll(async () => {
    await fixture?.cleanup();
  });

  it('documents every route the app registers, and nothing else', () => {
    expect(routes.length).toBeGreaterThan(15);
    const hidden = routes.filter((route) => operationOf(route) === undefined).map(routeName);
    expect(hidden.sort()).toEqual([...HIDDEN].sort());
    const documented = Object.entries(document.paths).flatMap(([url, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${url}`));
    const routed = routes.filter((route) => !HIDDEN.includes(routeName(route))).map((route) => `${String(route.method)} ${openApiPath(route.url)}`);
    expect(documented.sort()).toEqual(routed.sort());
  });

  it('documents exactly the parameters and body fields each route validates, with the same required ones', () => {
    for (const route of routes.filter((r) => operationOf(r) !== undefined)) {
      const operation = operationOf(route) as Operation;
      const name = routeName(route);
      const parameters = operation.parameters ?? [];
      const inQuery = parameters.filter((p) => p.in === 'query');
      const inPath = parameters.filter((p) => p.in === 'path');
      const query = route.schema?.querystring === undefined ? { names: [], required: [] } : fields(route.schema.querystring);
      expect(inQuery.map((p) => p.name).sort(), name).toEqual(query.names);
      expect(inQuery.filter((p) => p.required).map((p) => p.name).sort(), name).toEqual(query.required);
      const params = route.schema?.params === undefined ? { names: [], required: [] } : fields(route.schema.params);
      expect(inPath.map((p) => p.name).sort(), name).toEqual(params.names);
      expect([...route.url.matchAll(/:(\w+)/g)].map((match) => match[1]).sort(), name).toEqual(params.names);

      const body = route.schema?.body as { content?: Record<string, { schema: unknown }> } | undefined;
      if (body === undefined) {
        expect(operation.requestBody, name).toBeUndefined();
        continue;
      }
      const declared = body.content ?? { 'application/json': { schema: body } };
      expect(Object.keys(operation.requestBody?.content ?? {}), name).toEqual(Object.keys(declared));
      for (const [type, { schema }] of Object.entries(declared)) {
        const documented = operation.requestBody?.content[type]?.schema as ObjectSchema;
        const validated = fields(schema);
        expect(Object.keys(documented.properties ?? {}).sort(), `${name} ${type}`).toEqual(validated.names);
        expect([...(documented.required ?? [])].sort(), `${name} ${type}`).toEqual(validated.required);
        expect(documented.additionalProperties, `${name} ${type}: strict objects refuse other fields`).toBe(false);
      }
    }
  });

  it('documents every reply a route declares, the JSON error by reference, and the key and rate limit from its config', () => {
    expect(document.components.schemas.Error?.required).toEqual(['error']);
    for (const route of routes.filter((r) => operationOf(r) !== undefined)) {
      const operation = operationOf(route) as Operation;
      const name = routeName(route);
      const declared = Object.keys((route.schema?.response ?? {}) as Record<string, unknown>);
      for (const status of declared) expect(operation.responses[status], `${name} ${status}`).toBeDefined();
      for (const [status, reply] of Object.entries(operation.responses)) {
        expect(reply.description.length, `${name} ${status}`).toBeGreaterThan(1);
        if (Number(status) >= 400) expect(reply.content?.['application/json']?.schema.$ref, `${name} ${status}`).toBe('#/components/schemas/Error');
      }
      const access = route.config?.access ?? 'read';
      expect(operation.security, name).toEqual(access === 'write' ? [{ apiKey: [] }, { bearer: [] }] : []);
      expect('401' in operation.responses && '403' in operation.responses, name).toBe(access === 'write');
      expect('429' in operation.responses, name).toBe(route.config?.rateLimit !== false);
      // What the HTTP layer answers any request: a malformed one or one without Host, an unsupported Expect, headers too large, shutdown.
      for (const status of ['400', '417', '431', '503']) expect(operation.responses[status], `${name} ${status}`).toBeDefined();
    }
    expect(operationOf(routes.find((route) => route.url === '/healthz') as RouteOptions)?.responses['429']).toBeUndefined();
  });

  it('a JSON body field the document requires is one the route refuses to go without, and no other', async () => {
    let checked = 0;
    for (const route of routes) {
      const schema = operationOf(route)?.requestBody?.content['application/json']?.schema;
      if (schema === undefined) continue;
      const { status, message } = await send(route, { payload: { zz_undocumented: 1 } });
      expect(status, routeName(route)).toBe(400);
      for (const field of Object.keys(schema.properties ?? {})) {
        expect(message.includes(`body.${field}:`), `${routeName(route)}: ${message}`).toBe((schema.required ?? []).includes(field));
      }
      expect(message).toContain('unknown field "zz_undocumented"');
      checked++;
    }
    expect(checked).toBe(2);
  });

  it('an upload form has the fields the document lists: the image it requires and the text fields it allows', async () => {
    let checked = 0;
    for (const route of routes) {
      const schema = operationOf(route)?.requestBody?.content['multipart/form-data']?.schema;
      if (schema === undefined) continue;
      expect(schema.required, routeName(route)).toEqual(['image']);
      const { status, message } = await send(route, multipartBody([{ name: 'zz_undocumented', data: 'x' }]));
      expect(status, routeName(route)).toBe(400);
      const allowed = /\(allowed: ([^)]*)\)/.exec(message)?.[1]?.split(', ') ?? (message.includes('only the file field `image` is allowed') ? ['image'] : []);
      expect(allowed.sort(), `${routeName(route)}: ${message}`).toEqual(Object.keys(schema.properties ?? {}).sort());
      const missing = await send(route, multipartBody([]));
      expect(missing.message, routeName(route)).toContain('form.image: required');
      checked++;
    }
    expect(checked).toBe(4);
  });

  it('the query and path parameters the document lists are the ones the route accepts', async () => {
    let checked = 0;
    for (const route of routes) {
      const parameters = operationOf(route)?.parameters ?? [];
      const url = route.url.replace(/:(\w+)/g, 'zz');
      if (parameters.some((p) => p.in === 'path')) {
        const { status, message } = await send(route, { url });
        expect(status, routeName(route)).toBe(400);
        for (const parameter of parameters.filter((p) => p.in === 'path')) expect(message, routeName(route)).toContain(`params.${parameter.name}:`);
        checked++;
        continue;
      }
      if (parameters.length === 0 && route.schema?.querystring === undefined) continue;
      const unknown = await send(route, { url: `${url}?zz_undocumented=1` });
      expect(unknown.message, routeName(route)).toContain('query: unknown field "zz_undocumented"');
      for (const parameter of parameters) {
        const known = await send(route, { url: `${url}?${parameter.name}=1` });
        expect(known.message, `${routeName(route)} ?${parameter.name}`).not.toContain('query');
      }
      checked++;
    }
    expect(checked).toBe(6);
  });

  it('refuses a route that does not say what it is', async () => {
    const server = await fixture.restart();
    expect(() => server.app.get('/api/undocumented', async () => ({ ok: true }))).toThrow(/schema\.summary and schema\.response/);
    expect(() => server.app.get('/api/no-reply', { schema: { summary: 'No reply declared' } }, async () => ({ ok: true }))).toThrow(/schema\.response/);
  });
});
