import type { FastifyInstance } from 'fastify';
import { readImageUpload } from '../read-upload';
import { normalizeQuery } from '../query-text';
import type { RouteContext } from '../route-context';
import { parseRequest } from '../validate';

/** Embeddings of texts and of an image, L2-normalised, in the gallery's space. */
export function embedRoutes(app: FastifyInstance, context: RouteContext): void {
  const { schemas, encoder, options } = context;

  app.post('/api/embed/text', async (request) => {
    const body = parseRequest(schemas.embedTextBody, request.body, 'body');
    const texts = body.texts.map((text, i) => normalizeQuery(text, `body.texts.${i}`));
    const vectors = await encoder.encodeTexts(texts);
    return { dim: encoder.embedDim, embeddings: vectors.map((vector) => Array.from(vector)) };
  });

  app.post('/api/embed/image', async (request) => {
    const upload = await readImageUpload(request, options.limits.uploadBytes);
    const prepared = await encoder.prepareImage(upload.bytes, { name: 'upload', maxPixels: options.limits.maxImagePixels });
    const [vector] = await encoder.encodeImages([prepared]);
    return { dim: encoder.embedDim, embedding: Array.from(vector as Float32Array) };
  });
}
