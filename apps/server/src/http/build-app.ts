import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type preHandlerAsyncHookHandler } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { ApiError } from '../errors';
import { accessChecker } from './auth';
import { handleClientError, refuseExpectation } from './client-errors';
import { errorResponse } from './error-response';
import { registerJsonBodyParser } from './json-body';
import { registerOpenApi } from './openapi';
import type { RouteContext } from './route-context';
import { embedRoutes } from './routes/embed-routes';
import { galleryRoutes } from './routes/gallery-routes';
import { pageRoutes, type PageFiles } from './routes/page-routes';
import { searchRoutes } from './routes/search-routes';
import { systemRoutes } from './routes/system-routes';
import { requestValidatorCompiler } from './validate';

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'content-security-policy': "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
};

export interface BuildAppOptions {
  logger: Logger;
  page: PageFiles;
  version: string;
}

/** The Fastify application: plugins, hooks (access, metrics, headers), error mapping and routes. */
export async function buildApp(context: RouteContext, options: BuildAppOptions): Promise<FastifyInstance> {
  const { limits } = context.options;
  const app: FastifyInstance = Fastify({
    // Request logs stay at debug: under load they would be most of the output.
    loggerInstance: options.logger.child({ component: 'http' }, { level: options.logger.isLevelEnabled('debug') ? options.logger.level : 'warn' }) as FastifyBaseLogger,
    bodyLimit: limits.jsonBodyBytes,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // While closing, requests still arriving on open connections get the API's 503 (hook below),
    // not Fastify's own body.
    return503OnClosing: false,
    requestTimeout: 120_000,
    // Errors Node raises before Fastify has a request (malformed request line or headers, a head
    // over 16 KiB, a missing Host) are answered in the API's shape too.
    clientErrorHandler: handleClientError,
    http: { requireHostHeader: false },
    routerOptions: { maxParamLength: 200 },
    trustProxy: context.options.trustProxy,
    // A URL Fastify cannot decode is answered before routing and before any hook: it still counts
    // against the rate limit.
    frameworkErrors: (error, request, reply) => {
      const send = (answer: unknown): void => {
        const response = errorResponse(answer, request.id);
        void (reply as FastifyReply).code(response.status).send(response.body);
      };
      if (limit === undefined) send(error);
      else limit.call(app, request, reply).then(() => send(error), send);
    },
  });
  const checkAccess = accessChecker(context.options.apiKey, context.options.requireKeyForReads);
  let limit: preHandlerAsyncHookHandler | undefined;
  let closing = false;
  app.server.on('checkExpectation', refuseExpectation);
  app.addHook('preClose', async () => {
    closing = true;
  });
  // Requests are validated by the zod schemas the routes declare; replies are not (they are
  // written by the handlers, and checking them would cost time), so the declared reply schemas
  // only document: JSON.stringify, as Fastify does for a route without them.
  app.setValidatorCompiler(requestValidatorCompiler);
  registerJsonBodyParser(app);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  app.setErrorHandler((error, request, reply) => {
    const response = errorResponse(error, request.id);
    if (response.internal) request.log.error({ err: error, url: request.url }, 'request failed');
    return reply.code(response.status).send(response.body);
  });
  app.setNotFoundHandler((request, reply) => {
    const where = `${request.method} ${request.url.split('?')[0] ?? ''}`.slice(0, 200);
    return reply.code(404).send({ error: { code: 'not_found', message: `no such endpoint: ${where} (see /docs/openapi.json)`, requestId: request.id } });
  });

  // The rate limit first, so that every request counts: wrong keys, unknown routes (404s) and
  // requests refused later. Only routes that say `rateLimit: false` (/healthz) are left out.
  if (context.options.rateLimit !== false) {
    const { max, windowMs } = context.options.rateLimit;
    await app.register(rateLimit, {
      global: false,
      max,
      timeWindow: windowMs,
      errorResponseBuilder: (_request, limit) => new ApiError(429, 'rate_limited', `rate limit exceeded: at most ${limit.max} requests per ${limit.after}; retry in ${Math.ceil(limit.ttl / 1000)} s`),
    });
    const handler = app.rateLimit();
    limit = handler;
    app.addHook('onRequest', async function rateLimitEveryRequest(request, reply) {
      if (request.routeOptions.config?.rateLimit === false) return;
      await handler.call(this, request, reply);
    });
  }
  app.addHook('onRequest', async (request, reply) => {
    if (closing) throw new ApiError(503, 'unavailable', 'the server is shutting down; retry in a moment');
    // HTTP/1.1 requires Host (RFC 9112 §3.2); Node refuses it as we do, closing the connection, but with an empty body.
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      reply.header('connection', 'close');
      throw new ApiError(400, 'malformed_request', 'the request has no Host header, which HTTP/1.1 requires');
    }
  });
  // Access before anything reads the body; 404s need no key unless reads do.
  app.addHook('onRequest', async (request) => {
    checkAccess(request, request.routeOptions.config.access ?? 'read');
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    context.metrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });

  await app.register(multipart, { limits: { fileSize: limits.uploadBytes, files: 2, fields: 4, parts: 6 }, throwFileSizeLimit: true });

  await registerOpenApi(app, { options: context.options, schemas: context.schemas, version: options.version });
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get('/docs/openapi.json', { schema: { summary: 'This document', response: { 200: context.schemas.openApiResponse } } }, async () => app.swagger() as Record<string, unknown>);
  searchRoutes(api, context);
  embedRoutes(api, context);
  galleryRoutes(api, context);
  systemRoutes(api, context);
  pageRoutes(app, options.page);
  return app;
}
