import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveServerOptions } from './options';

describe('resolveServerOptions', () => {
  it('fills documented defaults and makes paths absolute', () => {
    const options = resolveServerOptions({ gallery: 'images', model: 'model' });
    expect(options).toMatchObject({
      gallery: path.resolve('images'),
      model: path.resolve('model'),
      indexDir: path.join(path.resolve('images'), '.harma-index'),
      host: '127.0.0.1',
      port: 8080,
      requireKeyForReads: false,
      engine: 'auto',
      precision: 'fp32',
      batchSize: 16,
      indexOnStart: true,
      rateLimit: { max: 600, windowMs: 60_000 },
      trustProxy: false,
      limits: { jsonBodyBytes: 262_144, uploadBytes: 16_777_216, maxImagePixels: 40_000_000, maxQueryChars: 1000, maxTopK: 100, maxBatchTexts: 64, maxPageSize: 500 },
      vectorIndex: { m: 16, efConstruction: 100, efSearch: 128, snapshotEvery: 5000 },
    });
    expect(options.apiKey).toBeUndefined();
    expect(resolveServerOptions({ gallery: 'g', rateLimit: false, limits: { maxTopK: 5 } })).toMatchObject({ rateLimit: false, limits: { maxTopK: 5, uploadBytes: 16_777_216 } });
  });

  it('names every wrong field', () => {
    expect(() => resolveServerOptions({ gallery: '', port: 70000 })).toThrow(/gallery: .*; port: /);
    expect(() => resolveServerOptions({ gallery: 'g', apiKey: 'short' })).toThrow('apiKey: an API key must have at least 8 characters');
    expect(() => resolveServerOptions({ gallery: 'g', limits: { maxTopK: 0 } })).toThrow(/limits\.maxTopK/);
    expect(() => resolveServerOptions({ gallery: 'g', engine: 'gpu' as never })).toThrow(/engine/);
    expect(() => resolveServerOptions({ gallery: 'g', extra: 1 } as never)).toThrow(/extra/);
  });
});
