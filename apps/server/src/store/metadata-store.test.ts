import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MetadataStore, type NewImage } from './metadata-store';

function image(name: string, hash: string, values: number[]): NewImage {
  return { path: name, hash, size: 10, mtimeMs: 1000, width: 4, height: 3, vector: Float32Array.from(values) };
}

describe('MetadataStore', () => {
  let dir: string;
  let store: MetadataStore;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'harma-store-'));
    store = new MetadataStore(path.join(dir, 'index.sqlite'));
    store.claimFor('model-a', 2);
  });

  afterEach(async () => {
    store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('inserts rows with their vectors and logs every vector change in order', () => {
    const [a, b] = store.apply({ add: [image('a.png', 'h1', [1, 0]), image('b/c.png', 'h2', [0, 1])] });
    expect(a?.id).toBe(1);
    expect(b?.id).toBe(2);
    expect(store.count()).toBe(2);
    expect(Array.from(store.vector(2) ?? [])).toEqual([0, 1]);
    expect(store.getByPath('b/c.png')?.hash).toBe('h2');
    // A changed file: the old row goes, a new one (new id) comes, in one transaction.
    const [replaced] = store.apply({ removeIds: [1], add: [image('a.png', 'h3', [0.6, 0.8])] });
    expect(replaced?.id).toBe(3);
    expect(store.opsAfter(0).map((op) => [op.seq, op.op, op.id])).toEqual([
      [1, 'add', 1],
      [2, 'add', 2],
      [3, 'delete', 1],
      [4, 'add', 3],
    ]);
    expect(store.lastSeq()).toBe(4);
    // Removing an absent id logs nothing.
    store.apply({ removeIds: [99] });
    expect(store.lastSeq()).toBe(4);
  });

  it('keeps counting change positions after the log is trimmed', () => {
    store.apply({ add: [image('a.png', 'h1', [1, 0])] });
    store.trimOps(1);
    expect(store.opsAfter(0)).toEqual([]);
    expect(store.lastSeq()).toBe(1);
    store.apply({ add: [image('b.png', 'h2', [0, 1])] });
    expect(store.opsAfter(1).map((op) => op.seq)).toEqual([2]);
  });

  it('finds rows by hash, pages by path with a prefix, and iterates vectors in id order', () => {
    store.apply({ add: ['z.png', 'a/1.png', 'a/2.png', 'ab.png', 'b/1.png'].map((name, i) => image(name, `h${i}`, [i, 1])) });
    expect(store.byHash('h3')?.record.path).toBe('ab.png');
    expect(Array.from(store.byHash('h3')?.vector ?? [])).toEqual([3, 1]);
    expect(store.byHash('nope')).toBeUndefined();
    expect(store.page(0, 2).items.map((row) => row.path)).toEqual(['a/1.png', 'a/2.png']);
    expect(store.page(2, 10).items.map((row) => row.path)).toEqual(['ab.png', 'b/1.png', 'z.png']);
    expect(store.page(0, 10, 'a/')).toMatchObject({ total: 2 });
    // A prefix is literal text, not a LIKE pattern.
    expect(store.page(0, 10, 'a%').total).toBe(0);
    expect(store.page(0, 10, '_/').total).toBe(0);
    expect([...store.vectors(2)].map((entry) => entry.id)).toEqual([1, 2, 3, 4, 5]);
  });

  it('drops every vector when another model or width claims the index', () => {
    store.apply({ add: [image('a.png', 'h1', [1, 0])], skip: [{ path: 'bad.png', size: 1, mtimeMs: 1, reason: 'corrupt' }] });
    store.cacheCaptionVectors([{ hash: 'c', vector: Float32Array.from([1, 0]) }]);
    expect(store.claimFor('model-a', 2)).toBe(false);
    expect(store.count()).toBe(1);
    expect(store.claimFor('model-b', 2)).toBe(true);
    expect(store.count()).toBe(0);
    expect(store.skipped()).toEqual([]);
    expect(store.captionCacheSize()).toBe(0);
    expect(store.opsAfter(0)).toEqual([]);
    expect(store.getMeta('model_fingerprint')).toBe('model-b');
    expect(store.claimFor('model-b', 3)).toBe(false);
    expect(store.getMeta('embed_dim')).toBe('3');
    expect(store.integrityCheck()).toBe('ok');
  });

  it('records skipped files and updates file stamps without touching vectors', () => {
    const [row] = store.apply({ add: [image('a.png', 'h1', [1, 0])], skip: [{ path: 'bad.png', size: 5, mtimeMs: 7, reason: 'not an image' }] });
    store.apply({ touch: [{ id: row?.id as number, size: 11, mtimeMs: 2000 }] });
    expect(store.get(row?.id as number)).toMatchObject({ size: 11, mtimeMs: 2000, hash: 'h1' });
    expect(store.skipped()).toEqual([{ path: 'bad.png', size: 5, mtimeMs: 7, reason: 'not an image' }]);
    // A skipped file that becomes readable is no longer listed.
    store.apply({ add: [image('bad.png', 'h9', [0, 1])] });
    expect(store.skipped()).toEqual([]);
    expect(store.lastSeq()).toBe(2);
  });
});
