import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultIndexDir, userCacheDir } from './index-location';

describe('where the index lives by default', () => {
  let base: string;
  let gallery: string;

  beforeAll(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'harma-index-location-'));
    gallery = path.join(base, 'images');
    await mkdir(gallery);
    await symlink(gallery, path.join(base, 'images-link'));
  });

  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('is the user cache: $XDG_CACHE_HOME when absolute, else ~/.cache', () => {
    expect(userCacheDir({ XDG_CACHE_HOME: '/var/cache/me' }, '/home/me')).toBe('/var/cache/me');
    expect(userCacheDir({ XDG_CACHE_HOME: 'relative/cache' }, '/home/me')).toBe(path.join('/home/me', '.cache'));
    expect(userCacheDir({}, '/home/me')).toBe(path.join('/home/me', '.cache'));
  });

  it('is keyed by the gallery\'s real path, so every path to one folder finds the same index', () => {
    const key = createHash('sha256').update(gallery).digest('hex').slice(0, 16);
    const env = { XDG_CACHE_HOME: path.join(base, 'cache') };
    expect(defaultIndexDir(gallery, env)).toBe(path.join(base, 'cache', 'harma', 'index', key));
    expect(defaultIndexDir(path.join(base, 'images-link'), env)).toBe(defaultIndexDir(gallery, env));
    expect(defaultIndexDir(`${gallery}/`, {}, path.join(base, 'home'))).toBe(path.join(base, 'home', '.cache', 'harma', 'index', key));
    expect(defaultIndexDir(path.join(base, 'other'), env)).not.toBe(defaultIndexDir(gallery, env));
  });

  it('stays in <gallery>/.harma-index where an earlier version put it', async () => {
    await mkdir(path.join(gallery, '.harma-index'));
    expect(defaultIndexDir(gallery, { XDG_CACHE_HOME: path.join(base, 'cache') })).toBe(path.join(gallery, '.harma-index'));
    await rm(path.join(gallery, '.harma-index'), { recursive: true });
  });
});
