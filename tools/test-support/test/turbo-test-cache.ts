import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Folders of the workspaces (`package.json` globs of the root). */
const WORKSPACE_FOLDERS = ['packages', 'apps', 'tools', 'examples'];
const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', '.turbo', 'coverage', 'runs', 'bench']);
/** What test code that reads the reference data calls or reads. */
const READS_REFERENCE_DATA = /\b(describeWithReferenceData|referencePath|referenceData)\(|\bHARMA_REFERENCE_DATA\b/;

const CODE = /\.(ts|js|mjs)$/;

function filesUnder(dir: string, relative = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(dir, relative), { withFileTypes: true })) {
    const file = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (!SKIPPED_FOLDERS.has(entry.name)) out.push(...filesUnder(dir, file));
    } else if (entry.isFile() && CODE.test(file)) {
      out.push(file);
    }
  }
  return out;
}

/**
 * The workspaces (`packages/data`, …) whose `src/` or `test/` code reads the reference data, with
 * the first file that does. The data lives outside the repository, where turbo hashes nothing.
 */
export function referenceDataReaders(root: string): Map<string, string> {
  const readers = new Map<string, string>();
  for (const group of WORKSPACE_FOLDERS) {
    if (!existsSync(path.join(root, group))) continue;
    for (const entry of readdirSync(path.join(root, group), { withFileTypes: true })) {
      const workspace = `${group}/${entry.name}`;
      if (!entry.isDirectory() || !existsSync(path.join(root, workspace, 'package.json'))) continue;
      for (const part of ['src', 'test']) {
        if (!existsSync(path.join(root, workspace, part))) continue;
        const file = filesUnder(path.join(root, workspace, part)).find((name) => READS_REFERENCE_DATA.test(readFileSync(path.join(root, workspace, part, name), 'utf8')));
        if (file) {
          readers.set(workspace, `${workspace}/${part}/${file}`);
          break;
        }
      }
    }
  }
  return readers;
}

/** Whether a workspace's own turbo.json turns off the cache of its `test` task. */
export function testCacheDisabled(root: string, workspace: string): boolean {
  const file = path.join(root, workspace, 'turbo.json');
  if (!existsSync(file)) return false;
  const turbo = JSON.parse(readFileSync(file, 'utf8')) as { tasks?: Record<string, { cache?: boolean }> };
  return turbo.tasks?.test?.cache === false;
}
