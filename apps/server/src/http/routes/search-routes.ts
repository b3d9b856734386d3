import { embedUpload } from '../embed-upload';
import { normalizeQuery } from '../query-text';
import { elapsedMs, imageHit, type ApiApp, type RouteContext } from '../route-context';
import { errorReplies, multipartBody } from '../route-schema';

const DEFAULT_K = 10;

/** Text → images, image → images, image → captions. */
export function searchRoutes(app: ApiApp, context: RouteContext): void {
  const { schemas, gallery, captions, encoder } = context;
  const imageQuery = {
    querystring: schemas.kQuery,
    body: multipartBody(schemas.imageForm),
  };

  app.post(
    '/api/search/text',
    {
      schema: {
        summary: 'Text → images: the k gallery images nearest to a text query',
        body: schemas.textSearchBody,
        response: { 200: schemas.imageSearchResponse, ...errorReplies(schemas, 400, 413, 415) },
      },
    },
    async (request) => {
      const started = process.hrtime.bigint();
      const { query, k } = request.body;
      const [vector] = await encoder.encodeTexts([normalizeQuery(query, 'body.query')]);
      const results = (await gallery.search(vector as Float32Array, k)).map(imageHit);
      return { k, tookMs: elapsedMs(started), indexSize: gallery.size, results };
    },
  );

  app.post(
    '/api/search/image',
    {
      schema: {
        summary: 'Image → images: the k gallery images nearest to an uploaded image',
        ...imageQuery,
        response: { 200: schemas.imageSearchResponse, ...errorReplies(schemas, 400, 413, 415) },
      },
    },
    async (request) => {
      const started = process.hrtime.bigint();
      const k = request.query.k ?? DEFAULT_K;
      const results = (await gallery.search(await embedUpload(request, context, schemas.imageForm), k)).map(imageHit);
      return { k, tookMs: elapsedMs(started), indexSize: gallery.size, results };
    },
  );

  app.post(
    '/api/search/image/captions',
    {
      schema: {
        summary: 'Image → captions: the k captions of the caption gallery (--captions) nearest to an uploaded image',
        ...imageQuery,
        response: { 200: schemas.captionSearchResponse, ...errorReplies(schemas, 400, 413, 415) },
      },
    },
    async (request) => {
      const started = process.hrtime.bigint();
      const k = request.query.k ?? DEFAULT_K;
      const results = captions.search(await embedUpload(request, context, schemas.imageForm), k);
      return { k, tookMs: elapsedMs(started), captions: captions.size, results };
    },
  );
}
