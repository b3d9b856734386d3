import type { ApiApp, RouteContext } from '../route-context';
import { rawReply } from '../route-schema';

/** Health, Prometheus metrics, gallery statistics. */
export function systemRoutes(app: ApiApp, context: RouteContext): void {
  const { schemas, gallery, captions, encoder, metrics, options } = context;

  app.get(
    '/healthz',
    { config: { access: 'public', rateLimit: false }, schema: { summary: 'Liveness (no key needed)', response: { 200: schemas.healthResponse } } },
    async () => ({ status: 'ok' as const, images: gallery.size, indexing: gallery.progress.state }),
  );

  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics: request counts and latencies by route, encoder time, index size, process',
        response: { 200: rawReply('text/plain', 'text', 'Prometheus text format') },
      },
    },
    async (_request, reply) => {
      const text = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(text);
    },
  );

  app.get(
    '/api/stats',
    { schema: { summary: 'Gallery, caption and model statistics, indexing progress', response: { 200: schemas.statsResponse } } },
    async () => ({
      images: gallery.size,
      captions: captions.size,
      skipped: (await gallery.store.skipped()).length,
      embedDim: encoder.embedDim,
      model: encoder.info,
      indexing: gallery.progress,
      writable: options.apiKey !== undefined,
      limits: { maxTopK: options.limits.maxTopK, uploadBytes: options.limits.uploadBytes, maxImagePixels: options.limits.maxImagePixels, maxQueryChars: options.limits.maxQueryChars },
    }),
  );
}
