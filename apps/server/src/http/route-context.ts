import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { CaptionGallery } from '../captions/caption-gallery';
import type { ServerEncoder } from '../encoder/server-encoder';
import type { Gallery, GalleryHit } from '../gallery/gallery';
import type { ResolvedServerOptions } from '../options';
import type { ImageRecord } from '../store/metadata-store';
import type { RouteAccess } from './auth';
import type { ApiSchemas } from './schemas';
import type { ServerMetrics } from './server-metrics';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route (checked before the handler); default `read`. */
    access?: RouteAccess;
  }
}

/** The app as routes see it: request parts typed from the zod schemas a route declares. */
export type ApiApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, ZodTypeProvider>;

/** What every route handler works with. */
export interface RouteContext {
  options: ResolvedServerOptions;
  gallery: Gallery;
  captions: CaptionGallery;
  encoder: ServerEncoder;
  schemas: ApiSchemas;
  metrics: ServerMetrics;
}

export function thumbnailUrl(id: number): string {
  return `/api/gallery/${id}/thumbnail`;
}

/** A gallery row as the API shows it. */
export function galleryItem(record: ImageRecord) {
  return {
    id: record.id,
    path: record.path,
    hash: record.hash,
    size: record.size,
    width: record.width,
    height: record.height,
    modified: new Date(record.mtimeMs).toISOString(),
    indexedAt: record.indexedAt,
    thumbnail: thumbnailUrl(record.id),
  };
}

/** A search hit as the API shows it. */
export function imageHit(hit: GalleryHit) {
  return { id: hit.id, path: hit.path, score: hit.score, width: hit.width, height: hit.height, thumbnail: thumbnailUrl(hit.id) };
}

/** Milliseconds since `started` (from `process.hrtime.bigint()`), to 0.01 ms. */
export function elapsedMs(started: bigint): number {
  return Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100;
}
