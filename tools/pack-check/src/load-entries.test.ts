import { describe, expect, it } from 'vitest';
import { compareLoads, type EntryPoint } from './load-entries';

const entry = (specifier: string, requireable = true, optionalPeers: string[] = []): EntryPoint => ({ packageName: specifier.split('/').slice(0, 2).join('/'), specifier, requireable, optionalPeers });

describe('compareLoads', () => {
  it('reports failed entries, tolerates a missing optional peer, and catches ESM/CJS builds exporting different names', () => {
    const entries = [entry('@x/a'), entry('@x/a/testing', true, ['vitest']), entry('@x/b'), entry('@x/esm', false)];
    const esm = [
      { specifier: '@x/a', ok: true, names: ['one', 'two'] },
      { specifier: '@x/a/testing', ok: false, error: "Cannot find package 'vitest'", missingOptionalPeer: 'vitest' },
      { specifier: '@x/b', ok: false, error: "Cannot find module '/x/b/dist/index.js'" },
      { specifier: '@x/esm', ok: true, names: ['run'] },
    ];
    const cjs = [
      { specifier: '@x/a', ok: true, names: ['one', 'three'] },
      { specifier: '@x/a/testing', ok: false, error: "Cannot find module 'vitest'", missingOptionalPeer: 'vitest' },
      { specifier: '@x/b', ok: true, names: [] },
    ];
    const { problems, notes } = compareLoads(esm, cjs, entries);
    expect(problems).toEqual([
      "import('@x/b') fails: Cannot find module '/x/b/dist/index.js'",
      '@x/a: the ES and CommonJS builds export different names (only ESM: two; only CJS: three)',
    ]);
    expect(notes).toEqual([
      "import('@x/a/testing') needs the optional peer vitest, not installed here",
      "require('@x/a/testing') needs the optional peer vitest, not installed here",
      '@x/esm is ESM-only (no require condition): CommonJS code loads it with import()',
    ]);
  });
});
