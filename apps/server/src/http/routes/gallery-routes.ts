import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../errors';
import { readImageUpload } from '../read-upload';
import { galleryItem, type RouteContext } from '../route-context';
import { parseRequest } from '../validate';

const DEFAULT_PAGE = 50;

/** Gallery listing, thumbnails, uploads, deletions and re-indexing. */
export function galleryRoutes(app: FastifyInstance, context: RouteContext): void {
  const { schemas, gallery, options } = context;

  app.get('/api/gallery', async (request) => {
    const query = parseRequest(schemas.galleryListQuery, request.query, 'query');
    const offset = query.offset ?? 0;
    const limit = query.limit ?? Math.min(DEFAULT_PAGE, options.limits.maxPageSize);
    const page = gallery.store.page(offset, limit, query.prefix);
    return { total: page.total, offset, limit, items: page.items.map(galleryItem) };
  });

  app.get('/api/gallery/skipped', async () => ({
    items: gallery.store.skipped().map((entry) => ({ path: entry.path, size: entry.size, reason: entry.reason })),
  }));

  app.get('/api/gallery/:id', async (request) => {
    const { id } = parseRequest(schemas.idParams, request.params, 'params');
    const record = gallery.store.get(id);
    if (record === undefined) throw new ApiError(404, 'not_found', `gallery image ${id} does not exist`);
    return { item: galleryItem(record) };
  });

  app.get('/api/gallery/:id/thumbnail', async (request, reply) => {
    const { id } = parseRequest(schemas.idParams, request.params, 'params');
    const jpeg = await gallery.thumbnail(id);
    return reply.type('image/jpeg').header('cache-control', 'private, max-age=3600').send(jpeg);
  });

  app.post('/api/gallery', { config: { access: 'write' } }, async (request, reply) => {
    const upload = await readImageUpload(request, options.limits.uploadBytes, ['path']);
    const record = await gallery.add(upload.bytes, upload.fields.path);
    return reply.code(201).send({ item: galleryItem(record) });
  });

  app.delete('/api/gallery/:id', { config: { access: 'write' } }, async (request) => {
    const { id } = parseRequest(schemas.idParams, request.params, 'params');
    return { item: galleryItem(await gallery.remove(id)) };
  });

  app.post('/api/gallery/reindex', { config: { access: 'write' } }, async (_request, reply) => {
    // The run goes on in the background; its failure is logged and shown by /api/stats.
    gallery.reindex().catch(() => undefined);
    return reply.code(202).send({ indexing: gallery.progress });
  });
}
