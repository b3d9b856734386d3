import { z } from 'zod/v4';
import type { ResolvedServerOptions } from '../options';
import type { ApiSchemas } from './schemas';

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

/** OpenAPI parameters from a zod object schema of a query string or path. */
function parameters(schema: z.ZodObject, where: 'query' | 'path'): JsonSchema[] {
  const object = jsonSchema(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (object.required ?? []).includes(name),
    schema: property,
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
  }));
}

const ERROR_REF = { $ref: '#/components/schemas/Error' };

function errors(...statuses: number[]): Record<string, JsonSchema> {
  const text: Record<number, string> = {
    400: 'Invalid request (the message names the field)',
    401: 'Missing or wrong API key',
    403: 'Write endpoints disabled (no API key configured)',
    404: 'Not found',
    409: 'Conflict (the path is taken)',
    413: 'Body, file or image too large',
    415: 'Wrong content type',
    429: 'Rate limit exceeded',
  };
  return Object.fromEntries(statuses.map((status) => [String(status), { description: text[status] ?? 'Error', content: { 'application/json': { schema: ERROR_REF } } }]));
}

function json(schema: z.ZodType, description = 'OK'): JsonSchema {
  return { description, content: { 'application/json': { schema: jsonSchema(schema, 'output') } } };
}

function imageForm(extra: Record<string, JsonSchema> = {}): JsonSchema {
  return {
    required: true,
    content: {
      'multipart/form-data': {
        schema: { type: 'object', required: ['image'], properties: { image: { type: 'string', format: 'binary', description: 'JPEG, PNG, TIFF or WebP image' }, ...extra } },
      },
    },
  };
}

/** The OpenAPI 3.1 document of the API, generated from the zod schemas the routes validate with. */
export function openApiDocument(schemas: ApiSchemas, options: ResolvedServerOptions, version: string): JsonSchema {
  const limits = options.limits;
  const common = [400, 413, 415, 429];
  const readSecurity = options.requireKeyForReads ? [{ apiKey: [] }, { bearer: [] }] : [];
  const writeSecurity = [{ apiKey: [] }, { bearer: [] }];
  const read = (operation: JsonSchema): JsonSchema => ({ security: readSecurity, ...operation });
  const write = (operation: JsonSchema): JsonSchema => ({ security: writeSecurity, ...operation });
  return {
    openapi: '3.1.0',
    info: {
      title: 'HarMA.js retrieval service',
      version,
      description:
        'Text-to-image, image-to-image and image-to-caption search over a remote-sensing image archive with a HarMA-adapted CLIP model. ' +
        `Errors are JSON ({"error": {"code", "message"}}). Limits: JSON bodies ${limits.jsonBodyBytes} bytes, uploads ${limits.uploadBytes} bytes, ` +
        `images ${limits.maxImagePixels} pixels, queries ${limits.maxQueryChars} characters, k ≤ ${limits.maxTopK}. Text is normalised like the paper's captions before encoding.`,
    },
    components: {
      securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' }, bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { Error: jsonSchema(schemas.errorResponse, 'output'), GalleryItem: jsonSchema(schemas.galleryItem, 'output') },
    },
    paths: {
      '/api/search/text': {
        post: read({
          summary: 'Text → images: the k gallery images nearest to a text query',
          requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(schemas.textSearchBody, 'input') } } },
          responses: { '200': json(schemas.imageSearchResponse), ...errors(...common) },
        }),
      },
      '/api/search/image': {
        post: read({
          summary: 'Image → images: the k gallery images nearest to an uploaded image',
          parameters: parameters(schemas.kQuery, 'query'),
          requestBody: imageForm(),
          responses: { '200': json(schemas.imageSearchResponse), ...errors(...common) },
        }),
      },
      '/api/search/image/captions': {
        post: read({
          summary: 'Image → captions: the k captions of the caption gallery (--captions) nearest to an uploaded image',
          parameters: parameters(schemas.kQuery, 'query'),
          requestBody: imageForm(),
          responses: { '200': json(schemas.captionSearchResponse), ...errors(...common) },
        }),
      },
      '/api/embed/text': {
        post: read({
          summary: 'Embeddings of texts (L2-normalised)',
          requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(schemas.embedTextBody, 'input') } } },
          responses: { '200': json(schemas.embedTextResponse), ...errors(...common) },
        }),
      },
      '/api/embed/image': {
        post: read({ summary: 'Embedding of an image (L2-normalised)', requestBody: imageForm(), responses: { '200': json(schemas.embedImageResponse), ...errors(...common) } }),
      },
      '/api/gallery': {
        get: read({ summary: 'List indexed images, ordered by path', parameters: parameters(schemas.galleryListQuery, 'query'), responses: { '200': json(schemas.galleryListResponse), ...errors(400, 429) } }),
        post: write({
          summary: 'Add an image: stored in the gallery folder at `path` (default uploads/<hash>.<ext>) and indexed',
          requestBody: imageForm({ path: { type: 'string', description: 'Gallery-relative path with an image extension matching the format; no `..`, no hidden segments' } }),
          responses: { '201': json(schemas.galleryItemResponse, 'Added'), ...errors(...common, 401, 403, 409) },
        }),
      },
      '/api/gallery/skipped': {
        get: read({ summary: 'Gallery files the indexer could not read, with the reason', responses: { '200': json(schemas.skippedResponse), ...errors(429) } }),
      },
      '/api/gallery/reindex': {
        post: write({ summary: 'Index new and changed files of the gallery folder (runs in the background)', responses: { '202': json(schemas.reindexResponse, 'Started'), ...errors(401, 403, 429) } }),
      },
      '/api/gallery/{id}': {
        get: read({ summary: 'One indexed image', parameters: parameters(schemas.idParams, 'path'), responses: { '200': json(schemas.galleryItemResponse), ...errors(400, 404, 429) } }),
        delete: write({
          summary: 'Remove an image from the index and delete its file from the gallery folder',
          parameters: parameters(schemas.idParams, 'path'),
          responses: { '200': json(schemas.galleryItemResponse, 'Removed'), ...errors(400, 401, 403, 404, 429) },
        }),
      },
      '/api/gallery/{id}/thumbnail': {
        get: read({
          summary: `JPEG thumbnail (longest side ${options.thumbnailSize} px)`,
          parameters: parameters(schemas.idParams, 'path'),
          responses: { '200': { description: 'JPEG image', content: { 'image/jpeg': { schema: { type: 'string', format: 'binary' } } } }, ...errors(400, 404, 429) },
        }),
      },
      '/api/stats': { get: read({ summary: 'Gallery, caption and model statistics, indexing progress', responses: { '200': json(schemas.statsResponse), ...errors(429) } }) },
      '/healthz': { get: { summary: 'Liveness (no key needed)', security: [], responses: { '200': json(schemas.healthResponse) } } },
      '/metrics': {
        get: read({ summary: 'Prometheus metrics: request counts and latencies by route, encoder time, index size, process', responses: { '200': { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } } } }),
      },
      '/docs/openapi.json': { get: read({ summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } } }) },
    },
  };
}
