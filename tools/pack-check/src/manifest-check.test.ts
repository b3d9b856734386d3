import { describe, expect, it } from 'vitest';
import { checkInternalRanges, checkManifest, exportTargets, requireableSubpaths } from './manifest-check';
import type { PackageManifest } from './workspace';

const DUAL: PackageManifest = {
  name: '@x/dual',
  version: '1.0.0',
  type: 'module',
  license: 'MIT',
  main: './dist/index.cjs',
  types: './dist/index.d.ts',
  exports: {
    '.': {
      import: { types: './dist/index.d.ts', default: './dist/index.js' },
      require: { types: './dist/index.d.cts', default: './dist/index.cjs' },
    },
    './package.json': './package.json',
  },
  files: ['dist', 'README.md'],
};
const PACKED = ['package.json', 'README.md', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts'];

describe('checkManifest', () => {
  it('accepts a dual package whose tarball holds every entry point', () => {
    expect(checkManifest(DUAL, PACKED)).toEqual([]);
  });

  it('names an entry point the tarball lacks, a files entry that packs nothing, and a missing README', () => {
    const problems = checkManifest({ ...DUAL, files: ['dist', 'README.md', 'configs'] }, PACKED.filter((f) => f !== 'dist/index.cjs' && f !== 'README.md'));
    expect(problems).toEqual(
      expect.arrayContaining([
        '@x/dual/package.json: "main" points to ./dist/index.cjs, which is not in the tarball (missing from "files", or not built)',
        '@x/dual/package.json: "exports"["."].require.default points to ./dist/index.cjs, which is not in the tarball (missing from "files", or not built)',
        '@x/dual/package.json: "files" entry "configs" packs nothing',
        '@x/dual/package.json: "files" entry "README.md" packs nothing',
        '@x/dual/package.json: the tarball has no README.md (users see an empty page on npm)',
      ]),
    );
  });

  it('catches an ES module under require, CommonJS declarations under import, and condition order', () => {
    const exportsMap = {
      '.': {
        import: { default: './dist/index.js', types: './dist/index.d.cts' },
        require: { types: './dist/index.d.cts', default: './dist/index.js' },
      },
    };
    const problems = checkManifest({ ...DUAL, exports: exportsMap }, PACKED);
    expect(problems).toEqual([
      '@x/dual/package.json: "exports"["."].import.types is ./dist/index.d.cts, a CommonJS declarations, under the import condition',
      '@x/dual/package.json: "exports"["."].require.default is ./dist/index.js, a ES module, under the require condition',
      '@x/dual/package.json: "exports"["."].import: "types" must be the first condition (TypeScript reads the first match)',
      '@x/dual/package.json: "exports"["."].import: "default" must be the last condition',
    ]);
  });

  it('lists export targets and the subpaths require() can load', () => {
    const esmOnly = { '.': { types: './dist/index.d.ts', import: './dist/index.js' }, './package.json': './package.json' };
    expect(exportTargets(esmOnly).map((t) => `${t.subpath} ${t.conditions.join('.')} ${t.target}`)).toEqual([
      '. types ./dist/index.d.ts',
      '. import ./dist/index.js',
      './package.json  ./package.json',
    ]);
    expect([...requireableSubpaths(esmOnly)]).toEqual(['./package.json']);
    expect([...requireableSubpaths(DUAL.exports)]).toEqual(['.', './package.json']);
  });
});

describe('checkInternalRanges', () => {
  it('names a dependency range the workspace version does not satisfy', () => {
    const manifest: PackageManifest = { name: '@x/app', version: '1.0.0', dependencies: { '@x/dual': '0.9.0', zod: '^3' }, devDependencies: { '@x/dual': '^1.0.0' } };
    const satisfies = (version: string, range: string): boolean => range === version || (range.startsWith('^') && version.startsWith(range.slice(1, 2)));
    expect(checkInternalRanges(manifest, new Map([['@x/dual', '1.0.0']]), satisfies)).toEqual([
      '@x/app/package.json: dependencies.@x/dual is "0.9.0", which the workspace\'s @x/dual@1.0.0 does not satisfy',
    ]);
  });
});
