import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../route-context';

/** Health, Prometheus metrics, gallery statistics. */
export function systemRoutes(app: FastifyInstance, context: RouteContext): void {
  const { gallery, captions, encoder, metrics, options } = context;

  app.get('/healthz', { config: { access: 'public', rateLimit: false } }, async () => ({ status: 'ok' as const, images: gallery.size, indexing: gallery.progress.state }));

  app.get('/metrics', { config: { rateLimit: false } }, async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });

  app.get('/api/stats', async () => ({
    images: gallery.size,
    captions: captions.size,
    skipped: gallery.store.skipped().length,
    embedDim: encoder.embedDim,
    model: encoder.info,
    indexing: gallery.progress,
    writable: options.apiKey !== undefined,
    limits: { maxTopK: options.limits.maxTopK, uploadBytes: options.limits.uploadBytes, maxImagePixels: options.limits.maxImagePixels, maxQueryChars: options.limits.maxQueryChars },
  }));
}
