import type { FastifyInstance } from 'fastify';
import { readImageUpload } from '../read-upload';
import { normalizeQuery } from '../query-text';
import { elapsedMs, imageHit, type RouteContext } from '../route-context';
import { parseRequest } from '../validate';

const DEFAULT_K = 10;

/** Text → images, image → images, image → captions. */
export function searchRoutes(app: FastifyInstance, context: RouteContext): void {
  const { schemas, gallery, captions, encoder, options } = context;

  app.post('/api/search/text', async (request) => {
    const started = process.hrtime.bigint();
    const body = parseRequest(schemas.textSearchBody, request.body, 'body');
    const [vector] = await encoder.encodeTexts([normalizeQuery(body.query, 'body.query')]);
    const results = gallery.search(vector as Float32Array, body.k).map(imageHit);
    return { k: body.k, tookMs: elapsedMs(started), indexSize: gallery.size, results };
  });

  app.post('/api/search/image', async (request) => {
    const started = process.hrtime.bigint();
    const k = parseRequest(schemas.kQuery, request.query, 'query').k ?? DEFAULT_K;
    const upload = await readImageUpload(request, options.limits.uploadBytes);
    const prepared = await encoder.prepareImage(upload.bytes, { name: 'upload', maxPixels: options.limits.maxImagePixels });
    const [vector] = await encoder.encodeImages([prepared]);
    const results = gallery.search(vector as Float32Array, k).map(imageHit);
    return { k, tookMs: elapsedMs(started), indexSize: gallery.size, results };
  });

  app.post('/api/search/image/captions', async (request) => {
    const started = process.hrtime.bigint();
    const k = parseRequest(schemas.kQuery, request.query, 'query').k ?? DEFAULT_K;
    const upload = await readImageUpload(request, options.limits.uploadBytes);
    const prepared = await encoder.prepareImage(upload.bytes, { name: 'upload', maxPixels: options.limits.maxImagePixels });
    const [vector] = await encoder.encodeImages([prepared]);
    return { k, tookMs: elapsedMs(started), captions: captions.size, results: captions.search(vector as Float32Array, k) };
  });
}
