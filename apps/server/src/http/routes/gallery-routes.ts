import { ApiError } from '../../errors';
import { readImageUpload } from '../read-upload';
import { galleryItem, type ApiApp, type RouteContext } from '../route-context';
import { errorReplies, multipartBody, rawReply } from '../route-schema';

const DEFAULT_PAGE = 50;

/** Gallery listing, thumbnails, uploads, deletions and re-indexing. */
export function galleryRoutes(app: ApiApp, context: RouteContext): void {
  const { schemas, gallery, options } = context;
  const write = { access: 'write' as const };

  app.get(
    '/api/gallery',
    {
      schema: {
        summary: 'List indexed images, ordered by path',
        querystring: schemas.galleryListQuery,
        response: { 200: schemas.galleryListResponse, ...errorReplies(schemas, 400) },
      },
    },
    async (request) => {
      const { query } = request;
      const offset = query.offset ?? 0;
      const limit = query.limit ?? Math.min(DEFAULT_PAGE, options.limits.maxPageSize);
      const page = await gallery.store.page(offset, limit, query.prefix);
      return { total: page.total, offset, limit, items: page.items.map(galleryItem) };
    },
  );

  app.get(
    '/api/gallery/skipped',
    { schema: { summary: 'Gallery files the indexer could not read, with the reason', response: { 200: schemas.skippedResponse } } },
    async () => ({
      items: (await gallery.store.skipped()).map((entry) => ({ path: entry.path, size: entry.size, reason: entry.reason })),
    }),
  );

  app.get(
    '/api/gallery/:id',
    {
      schema: {
        summary: 'One indexed image',
        params: schemas.idParams,
        response: { 200: schemas.galleryItemResponse, ...errorReplies(schemas, 400, 404) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const record = await gallery.store.get(id);
      if (record === undefined) throw new ApiError(404, 'not_found', `gallery image ${id} does not exist`);
      return { item: galleryItem(record) };
    },
  );

  app.get(
    '/api/gallery/:id/thumbnail',
    {
      schema: {
        summary: `JPEG thumbnail (longest side ${options.thumbnailSize} px)`,
        params: schemas.idParams,
        response: { 200: rawReply('image/jpeg', 'binary', 'JPEG image'), ...errorReplies(schemas, 400, 404) },
      },
    },
    async (request, reply) => {
      const jpeg = await gallery.thumbnail(request.params.id);
      return reply.type('image/jpeg').header('cache-control', 'private, max-age=3600').send(jpeg);
    },
  );

  app.post(
    '/api/gallery',
    {
      config: write,
      schema: {
        summary: 'Add an image: stored in the gallery folder at `path` (default uploads/<hash>.<ext>) and indexed',
        body: multipartBody(schemas.galleryAddForm),
        response: { 201: schemas.galleryItemResponse.describe('Added'), ...errorReplies(schemas, 400, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      const upload = await readImageUpload(request, options.limits.uploadBytes, schemas.galleryAddForm);
      const record = await gallery.add(upload.bytes, upload.fields.path);
      return reply.code(201).send({ item: galleryItem(record) });
    },
  );

  app.delete(
    '/api/gallery/:id',
    {
      config: write,
      schema: {
        summary: 'Remove an image from the index and delete its file from the gallery folder',
        params: schemas.idParams,
        response: { 200: schemas.galleryItemResponse.describe('Removed'), ...errorReplies(schemas, 400, 404) },
      },
    },
    async (request) => ({ item: galleryItem(await gallery.remove(request.params.id)) }),
  );

  app.post(
    '/api/gallery/reindex',
    {
      config: write,
      schema: { summary: 'Index new and changed files of the gallery folder (runs in the background)', response: { 202: schemas.reindexResponse.describe('Started') } },
    },
    async (_request, reply) => {
      // The run goes on in the background; its failure is logged and shown by /api/stats.
      gallery.reindex().catch(() => undefined);
      return reply.code(202).send({ indexing: gallery.progress });
    },
  );
}
