import { embedUpload } from '../embed-upload';
import { normalizeQuery } from '../query-text';
import type { ApiApp, RouteContext } from '../route-context';
import { errorReplies, multipartBody } from '../route-schema';

/** Embeddings of texts and of an image, L2-normalised, in the gallery's space. */
export function embedRoutes(app: ApiApp, context: RouteContext): void {
  const { schemas, encoder } = context;

  app.post(
    '/api/embed/text',
    {
      schema: {
        summary: 'Embeddings of texts (L2-normalised)',
        body: schemas.embedTextBody,
        response: { 200: schemas.embedTextResponse, ...errorReplies(schemas, 400, 413, 415) },
      },
    },
    async (request) => {
      const texts = request.body.texts.map((text, i) => normalizeQuery(text, `body.texts.${i}`));
      const vectors = await encoder.encodeTexts(texts);
      return { dim: encoder.embedDim, embeddings: vectors.map((vector) => Array.from(vector)) };
    },
  );

  app.post(
    '/api/embed/image',
    {
      schema: {
        summary: 'Embedding of an image (L2-normalised)',
        body: multipartBody(schemas.imageForm),
        response: { 200: schemas.embedImageResponse, ...errorReplies(schemas, 400, 413, 415) },
      },
    },
    async (request) => {
      return { dim: encoder.embedDim, embedding: Array.from(await embedUpload(request, context, schemas.imageForm)) };
    },
  );
}
