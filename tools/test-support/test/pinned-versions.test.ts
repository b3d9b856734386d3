import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot } from '../src/index';

type Manifest = Record<string, unknown> & Partial<Record<'dependencies' | 'devDependencies' | 'peerDependencies' | 'optionalDependencies', Record<string, string>>>;

/** The packages @harma/core relies on the internals of, pinned to one tested version (packages/core/README.md). */
const PINNED = ['@tensorflow/tfjs-core', '@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'onnxruntime-node'];

describe('the tfjs and onnxruntime-node versions core is tested with', () => {
  it('every workspace package names them with exactly the version @harma/core pins', () => {
    const root = repositoryRoot();
    const read = (dir: string): Manifest => JSON.parse(readFileSync(path.join(root, dir, 'package.json'), 'utf8')) as Manifest;
    const core = read('packages/core');
    const tested = new Map(PINNED.map((name) => [name, core.peerDependencies?.[name] ?? core.dependencies?.[name]]));
    for (const [name, version] of tested) expect(version, name).toMatch(/^\d+\.\d+\.\d+$/);
    const workspaces = ['packages', 'apps', 'tools', 'examples'].flatMap((group) =>
      readdirSync(path.join(root, group)).map((name) => `${group}/${name}`).filter((dir) => existsSync(path.join(root, dir, 'package.json'))),
    );
    expect(workspaces.length).toBeGreaterThanOrEqual(13);
    const uses: Array<{ where: string; name: string; range: string }> = [];
    for (const dir of workspaces) {
      const manifest = read(dir);
      for (const field of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'] as const) {
        for (const [name, range] of Object.entries(manifest[field] ?? {})) if (tested.has(name)) uses.push({ where: `${dir} ${field}`, name, range });
      }
    }
    expect(uses.length).toBeGreaterThan(20);
    const off = uses.filter((use) => use.range !== tested.get(use.name)).map((use) => `${use.where}: ${use.name}@${use.range}, tested ${tested.get(use.name)}`);
    expect(off).toEqual([]);
  });
});
