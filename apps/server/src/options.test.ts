import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultIndexDir } from './gallery/index-location';
import { resolveServerOptions } from './options';

describe('resolveServerOptions', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('fills documented defaults and makes paths absolute', () => {
    vi.stubEnv('XDG_CACHE_HOME', '/tmp/harma-test-cache');
    const options = resolveServerOptions({ gallery: 'images', model: 'model' });
    expect(options).toMatchObject({
      gallery: path.resolve('images'),
      model: path.resolve('model'),
      indexDir: defaultIndexDir(path.resolve('images')),
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
    expect(options.indexDir.startsWith('/tmp/harma-test-cache/harma/index/')).toBe(true);
    expect(resolveServerOptions({ gallery: 'images', indexDir: 'idx' }).indexDir).toBe(path.resolve('idx'));
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
