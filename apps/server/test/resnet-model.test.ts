import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiSchemas } from '../src/http/schemas';
import { createServer, type HarmaServer } from '../src/index';
import { dot, postImage } from './helpers/http';
import { captureLogs } from './helpers/server-fixture';
import { tinyModelAndGallery } from './helpers/tiny-model';

describe('a CLIP ResNet export (no transformers class) served and searched', () => {
  let root: string;
  let model: string;
  let gallery: string;
  let images: string[];
  let server: HarmaServer;

  beforeAll(async () => {
    ({ root, model, gallery, images } = await tinyModelAndGallery('harma-server-resnet-', 6, { resnet: true, quantize: true }));
    server = await createServer({ model, gallery, indexDir: path.join(root, 'index'), port: 0, rateLimit: false, apiKey: 'test-key-123456' }, { logger: captureLogs().logger });
    await server.gallery.reindex();
  });

  afterAll(async () => {
    await server?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('says in its config that transformers has no class for it, and harma serve indexes and searches it', async () => {
    const config = JSON.parse(await readFile(path.join(model, 'config.json'), 'utf8'));
    expect(config.model_type).toBeUndefined();
    expect(config.harma.backbone.kind).toBe('clip-resnet');
    expect(config.harma.transformers).toMatchObject({ modelType: null, note: expect.stringMatching(/^Hugging Face transformers has no model class for a clip-resnet backbone/) });

    const schemas = apiSchemas(server.options.limits);
    const stats = schemas.statsResponse.parse((await server.app.inject({ url: '/api/stats' })).json());
    expect(stats).toMatchObject({ images: 6, embedDim: 32, model: { engine: 'ort', backbone: 'clip-resnet', imageSize: 32 } });
    const embeddings = new Map<string, number[]>();
    for (const file of images) {
      const response = await postImage(server.app, '/api/embed/image', await readFile(path.join(gallery, file)));
      expect(response.statusCode).toBe(200);
      embeddings.set(file, schemas.embedImageResponse.parse(response.json()).embedding);
    }
    const query = 'a port with ships';
    const text = schemas.embedTextResponse.parse((await server.app.inject({ method: 'POST', url: '/api/embed/text', payload: { texts: [query] } })).json()).embeddings[0] as number[];
    const response = await server.app.inject({ method: 'POST', url: '/api/search/text', payload: { query, k: 4 } });
    expect(response.statusCode).toBe(200);
    const body = schemas.imageSearchResponse.parse(response.json());
    const expected = [...embeddings].map(([file, vector]) => ({ file, score: dot(vector, text) })).sort((a, b) => b.score - a.score);
    expect(body.results.map((hit) => hit.path)).toEqual(expected.slice(0, 4).map((hit) => hit.file));
    body.results.forEach((hit, i) => expect(hit.score).toBeCloseTo(expected[i]?.score as number, 4));
  });
});
