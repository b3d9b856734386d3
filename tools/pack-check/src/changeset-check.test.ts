import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkChangesetConfig, checkChangesetFiles, checkRelease } from './changeset-check';
import { findRepositoryRoot, readWorkspace } from './workspace';

const repository = findRepositoryRoot(path.dirname(fileURLToPath(import.meta.url)));
const GOOD_CONFIG = {
  changelog: '@changesets/cli/changelog',
  commit: false,
  fixed: [],
  linked: [],
  access: 'public',
  baseBranch: 'main',
  updateInternalDependencies: 'patch',
  privatePackages: { version: false, tag: false },
  ignore: [],
};

/** A workspace of three packages: a, b (depends on a), and a private tool c (depends on a). */
function fakeWorkspace(config: Record<string, unknown>, changesets: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'pack-check-release-'));
  const write = (file: string, value: unknown): void => {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  };
  write('package.json', { name: 'root', private: true, workspaces: ['packages/*', 'tools/*'] });
  write('packages/a/package.json', { name: '@fake/a', version: '1.0.0' });
  write('packages/b/package.json', { name: '@fake/b', version: '1.0.0', dependencies: { '@fake/a': '1.0.0' } });
  write('tools/c/package.json', { name: '@fake/c', version: '0.0.0', private: true, dependencies: { '@fake/a': '1.0.0' } });
  write('.changeset/config.json', config);
  for (const [file, text] of Object.entries(changesets)) write(`.changeset/${file}`, text);
  return root;
}

const roots: string[] = [];
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

describe('changeset files and config', () => {
  it('names every defect of a changeset file: unknown or private package, bad bump, no summary', () => {
    const root = fakeWorkspace(GOOD_CONFIG, {
      'unknown.md': '---\n"@fake/zzz": minor\n---\n\nA package that does not exist.\n',
      'private.md': '---\n"@fake/c": patch\n---\n\nA private tool.\n',
      'bump.md': '---\n"@fake/a": huge\n---\n\nNo such bump.\n',
      'empty.md': '---\n"@fake/a": patch\n---\n',
      'broken.md': 'no front matter at all\n',
    });
    roots.push(root);
    const { problems } = checkChangesetFiles(path.join(root, '.changeset'), readWorkspace(root));
    expect(problems).toEqual([
      expect.stringMatching(/^\.changeset\/broken\.md: /),
      '.changeset/bump.md: could not parse changeset - invalid version type "huge" for package "@fake/a".',
      '.changeset/empty.md: no summary: the changelog would get an empty line',
      '.changeset/private.md: "@fake/c" is private and is never released',
      '.changeset/unknown.md: "@fake/zzz" is not a package of this workspace',
    ]);
  });

  it('requires private packages to be left alone and public access', () => {
    const root = fakeWorkspace(GOOD_CONFIG, {});
    roots.push(root);
    const packages = readWorkspace(root);
    expect(checkChangesetConfig(GOOD_CONFIG, packages)).toEqual([]);
    expect(checkChangesetConfig({ ...GOOD_CONFIG, privatePackages: undefined, access: 'restricted', ignore: ['@fake/none'] }, packages)).toEqual([
      '.changeset/config.json: privatePackages.version must be false: private tools and examples would get versions and changelogs',
      '.changeset/config.json: privatePackages.tag must be false',
      '.changeset/config.json: access must be "public" (scoped packages are restricted by default)',
      '.changeset/config.json: ignore names "@fake/none", which is not a workspace package',
    ]);
  });
});

describe('dry-run release', () => {
  const modules = path.join(repository, 'node_modules');

  it('bumps the package and its dependent, updates every internal range, writes changelogs, leaves the private tool alone', async () => {
    const root = fakeWorkspace(GOOD_CONFIG, { 'feature.md': '---\n"@fake/a": minor\n---\n\nA new feature users will read about.\n' });
    roots.push(root);
    const report = await checkRelease(root, { modules });
    expect(report.problems).toEqual([]);
    expect(report.releases).toEqual([
      { name: '@fake/a', from: '1.0.0', to: '1.1.0' },
      { name: '@fake/b', from: '1.0.0', to: '1.0.1' },
    ]);
    // The check runs in a copy: the workspace itself is untouched.
    expect(JSON.parse(readFileSync(path.join(root, 'packages/a/package.json'), 'utf8')).version).toBe('1.0.0');
  });

  it('fails when the config versions private packages', async () => {
    const root = fakeWorkspace({ ...GOOD_CONFIG, privatePackages: { version: true, tag: false } }, { 'feature.md': '---\n"@fake/a": minor\n---\n\nA new feature.\n' });
    roots.push(root);
    const report = await checkRelease(root, { modules });
    expect(report.problems).toEqual([
      '.changeset/config.json: privatePackages.version must be false: private tools and examples would get versions and changelogs',
      '@fake/c is private but the release bumps it 0.0.0 → 0.0.1',
      '@fake/c is private but the release writes it a CHANGELOG.md',
    ]);
  });

  it("gives this repository's pending changesets a coherent release", async () => {
    const report = await checkRelease(repository);
    expect(report.problems).toEqual([]);
    const publishable = readWorkspace(repository).filter((p) => !p.private).map((p) => p.name);
    const withChangesets = checkChangesetFiles(path.join(repository, '.changeset'), readWorkspace(repository)).summaries;
    for (const name of withChangesets.keys()) expect(report.releases.map((r) => r.name)).toContain(name);
    expect(report.releases.every((r) => publishable.includes(r.name))).toBe(true);
  });
});
