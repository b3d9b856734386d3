/**
 * The pack check itself: on a fabricated workspace with known defects it must name each of them;
 * on this repository it must pass — every package packed, installed from its tarball outside the
 * workspace, every entry point loaded and every README example run as ESM and as CommonJS.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { formatReport, runPackCheck } from '../src/pack-check';
import { findRepositoryRoot, readWorkspace } from '../src/workspace';

const repository = findRepositoryRoot(path.dirname(fileURLToPath(import.meta.url)));
const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function write(root: string, file: string, content: unknown): void {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
}

const readme = (code: string): string => `# x\n\n<!-- pack-check: example -->\n\`\`\`js\n${code}\n\`\`\`\n`;

describe('pack check on a workspace with defects', () => {
  it('names the ES module under require, the undeclared import, the unpacked file and the failing example; passes the sound package', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'pack-check-fake-'));
    dirs.push(root);
    write(root, 'package.json', { name: 'fake-root', private: true, workspaces: ['packages/*'] });
    const dual = { '.': { import: './dist/index.js', require: './dist/index.cjs' }, './package.json': './package.json' };
    write(root, 'packages/ok/package.json', { name: '@fake/ok', version: '1.0.0', license: 'MIT', type: 'module', main: './dist/index.cjs', exports: dual, files: ['dist', 'README.md'] });
    write(root, 'packages/ok/dist/index.js', 'export const answer = 42;\n');
    write(root, 'packages/ok/dist/index.cjs', 'exports.answer = 42;\n');
    write(root, 'packages/ok/README.md', readme("import assert from 'node:assert/strict';\nimport { answer } from '@fake/ok';\nassert.equal(answer, 42);"));
    write(root, 'packages/broken/package.json', {
      name: '@fake/broken',
      version: '1.0.0',
      license: 'MIT',
      type: 'module',
      exports: { '.': { import: './dist/index.js', require: './dist/index.js' } },
      files: ['dist/index.js', 'README.md'],
    });
    write(root, 'packages/broken/dist/index.js', "import { answer } from '@fake/ok';\nimport { helper } from './helper.js';\nexport const run = () => helper(answer);\n");
    write(root, 'packages/broken/dist/helper.js', 'export const helper = (x) => x;\n');
    write(root, 'packages/broken/README.md', readme("import { run } from '@fake/broken';\nrun();"));

    const report = await runPackCheck({ root, skipRelease: true, minimal: ['@fake/ok'] });
    const text = report.problems.join('\n');
    expect(text).toContain('@fake/broken/package.json: "exports"["."].require is ./dist/index.js, a ES module, under the require condition');
    expect(text).toContain("@fake/broken: imports @fake/ok without declaring it in dependencies, peerDependencies or optionalDependencies: dist/index.js loads '@fake/ok'");
    expect(text).toMatch(/import\('@fake\/broken'\) fails: Cannot find module .*helper\.js/);
    expect(text).toMatch(/@fake\/broken: the README example fails as an ES module in the full project/);
    expect(report.problems.filter((p) => p.startsWith('@fake/ok') || p.includes("'@fake/ok')"))).toEqual([]);
    expect(report.examples.filter((e) => e.packageName === '@fake/ok').map((e) => [e.mode, e.project, e.ok])).toEqual([
      ['esm', 'minimal', true],
      ['cjs', 'minimal', true],
    ]);
  });
});

describe('pack check on this repository', () => {
  it('installs every package from its tarball and runs every README example as ESM and CommonJS', async () => {
    // HARMA_PACK_CHECK_BUILD_NATIVE=1 compiles better-sqlite3 and hnswlib-node as a user's install does (+2 min).
    const buildNative = process.env.HARMA_PACK_CHECK_BUILD_NATIVE === '1';
    const report = await runPackCheck({ root: repository, buildNative, log: (line) => process.stdout.write(`[pack-check] ${line}\n`) });
    process.stdout.write(`${formatReport(report)}\n`);
    expect(report.problems).toEqual([]);
    const expected = readWorkspace(repository)
      .filter((p) => !p.private || p.relativeDir.startsWith('examples/'))
      .map((p) => p.name)
      .sort();
    expect(report.packages.map((p) => p.name).sort()).toEqual(expected);
    for (const name of expected) {
      expect(report.examples.filter((e) => e.packageName === name && e.ok).map((e) => e.mode).sort(), name).toEqual(['cjs', 'esm']);
    }
    expect(report.release?.releases.length).toBeGreaterThan(0);
  });
});
