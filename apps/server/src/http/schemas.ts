import { z } from 'zod/v4';
import type { ResolvedServerOptions } from '../options';

type Limits = ResolvedServerOptions['limits'];

/** A decimal integer in a query string or path (no signs, exponents, hex or spaces), then range-checked. */
function integerString(name: string, min: number, max: number) {
  return z
    .string()
    .regex(/^\d{1,16}$/, `${name} must be a decimal integer`)
    .transform(Number)
    .pipe(z.number().int().min(min, `${name} must be at least ${min}`).max(max, `${name} must be at most ${max}`));
}

/** Text a client sends: not blank, bounded. */
function text(name: string, maxChars: number) {
  return z
    .string(`${name} must be a string`)
    .max(maxChars, `${name} must be at most ${maxChars} characters`)
    .refine((value) => value.trim().length > 0, `${name} must not be blank`);
}

/**
 * Request and response schemas of the API, with the configured limits. Routes declare them in their
 * `schema` (Fastify validates requests with them, see `validate.ts`), and the OpenAPI document is
 * generated from the routes (`openapi.ts`).
 */
export function apiSchemas(limits: Limits) {
  const k = z.number('k must be a number').int('k must be an integer').min(1, 'k must be at least 1').max(limits.maxTopK, `k must be at most ${limits.maxTopK}`);
  const imageHit = z.object({
    id: z.number().int().describe('Gallery image id'),
    path: z.string().describe('Path relative to the gallery folder'),
    score: z.number().describe('Cosine similarity to the query'),
    width: z.number().int(),
    height: z.number().int(),
    thumbnail: z.string().describe('URL of a JPEG thumbnail'),
  });
  const galleryItem = z.object({
    id: z.number().int(),
    path: z.string(),
    hash: z.string().describe('SHA-256 of the file'),
    size: z.number().int().describe('Bytes'),
    width: z.number().int(),
    height: z.number().int(),
    modified: z.string().describe('File modification time (ISO 8601)'),
    indexedAt: z.string(),
    thumbnail: z.string(),
  });
  const progress = z.object({
    state: z.enum(['idle', 'scanning', 'indexing', 'failed']),
    files: z.number().int(),
    total: z.number().int(),
    done: z.number().int(),
    added: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int(),
    removed: z.number().int(),
    skipped: z.number().int(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    error: z.string().nullable(),
  });
  const image = z.file().describe('JPEG, PNG, TIFF or WebP image');
  return {
    textSearchBody: z.object({ query: text('query', limits.maxQueryChars).describe('What to look for, in words'), k: k.default(10).describe('Number of results') }).strict(),
    kQuery: z.object({ k: integerString('k', 1, limits.maxTopK).optional().describe('Number of results (default 10)') }).strict(),
    embedTextBody: z
      .object({
        texts: z
          .array(text('texts[i]', limits.maxQueryChars), 'texts must be an array of strings')
          .min(1, 'texts must hold at least one text')
          .max(limits.maxBatchTexts, `texts must hold at most ${limits.maxBatchTexts} texts`),
      })
      .strict(),
    galleryListQuery: z
      .object({
        offset: integerString('offset', 0, Number.MAX_SAFE_INTEGER).optional(),
        limit: integerString('limit', 1, limits.maxPageSize).optional(),
        prefix: z.string().max(1024, 'prefix must be at most 1024 characters').optional().describe('Only paths starting with this'),
      })
      .strict(),
    idParams: z.object({ id: integerString('id', 1, Number.MAX_SAFE_INTEGER) }).strict(),
    /** multipart/form-data: the file field `image`, nothing else. */
    imageForm: z.object({ image }).strict(),
    /** multipart/form-data: the file field `image` and where to store it. */
    galleryAddForm: z
      .object({
        image,
        path: z.string().optional().describe('Gallery-relative path with an image extension matching the format (default uploads/<hash>.<ext>); no `..`, no hidden segments'),
      })
      .strict(),
    imageSearchResponse: z.object({ k: z.number().int(), tookMs: z.number(), indexSize: z.number().int(), results: z.array(imageHit) }),
    captionSearchResponse: z.object({
      k: z.number().int(),
      tookMs: z.number(),
      captions: z.number().int().describe('Size of the caption gallery'),
      results: z.array(z.object({ index: z.number().int(), text: z.string(), images: z.array(z.string()).describe('Images the annotation file pairs the caption with'), score: z.number() })),
    }),
    embedTextResponse: z.object({ dim: z.number().int(), embeddings: z.array(z.array(z.number())) }),
    embedImageResponse: z.object({ dim: z.number().int(), embedding: z.array(z.number()) }),
    galleryItem,
    galleryListResponse: z.object({ total: z.number().int(), offset: z.number().int(), limit: z.number().int(), items: z.array(galleryItem) }),
    galleryItemResponse: z.object({ item: galleryItem }),
    skippedResponse: z.object({ items: z.array(z.object({ path: z.string(), size: z.number().int(), reason: z.string() })) }),
    reindexResponse: z.object({ indexing: progress }),
    statsResponse: z.object({
      images: z.number().int(),
      captions: z.number().int(),
      skipped: z.number().int(),
      embedDim: z.number().int(),
      model: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
      indexing: progress,
      writable: z.boolean().describe('Whether an API key is configured (write endpoints enabled)'),
      limits: z.object({ maxTopK: z.number().int(), uploadBytes: z.number().int(), maxImagePixels: z.number().int(), maxQueryChars: z.number().int() }),
    }),
    healthResponse: z.object({ status: z.literal('ok'), images: z.number().int(), indexing: z.enum(['idle', 'scanning', 'indexing', 'failed']) }),
    openApiResponse: z.record(z.string(), z.unknown()).describe('This document (OpenAPI 3.1)'),
    errorResponse: z.object({
      error: z.object({
        code: z.string().describe('Machine-readable code (invalid_request, invalid_json, unauthorized, not_found, …)'),
        message: z.string().describe('What was wrong, naming the field or limit'),
        details: z.record(z.string(), z.unknown()).optional(),
        requestId: z.string().optional(),
      }),
    }),
  };
}

export type ApiSchemas = ReturnType<typeof apiSchemas>;
