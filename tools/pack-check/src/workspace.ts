import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The fields of a package.json the checks read. */
export interface PackageManifest {
  name: string;
  version: string;
  private?: boolean;
  type?: 'module' | 'commonjs';
  license?: string;
  main?: string;
  module?: string;
  types?: string;
  bin?: string | Record<string, string>;
  exports?: unknown;
  files?: string[];
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  optionalDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

export interface WorkspacePackage {
  name: string;
  version: string;
  /** Absolute folder. */
  dir: string;
  /** Folder relative to the repository root (`packages/core`). */
  relativeDir: string;
  manifest: PackageManifest;
  private: boolean;
}

export function readManifest(file: string): PackageManifest {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
  const manifest = json as Partial<PackageManifest>;
  if (typeof manifest.name !== 'string' || typeof manifest.version !== 'string') throw new Error(`${file}: needs a string name and version`);
  return manifest as PackageManifest;
}

/**
 * Every workspace package of the repository at `root`, from the root package.json's `workspaces`
 * (`dir/*` patterns and plain folders, as this repository uses), sorted by folder.
 */
export function readWorkspace(root: string): WorkspacePackage[] {
  const rootManifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { workspaces?: string[] };
  const packages: WorkspacePackage[] = [];
  for (const pattern of rootManifest.workspaces ?? []) {
    const dirs = pattern.endsWith('/*')
      ? readdirSync(path.join(root, pattern.slice(0, -2)), { withFileTypes: true })
          .filter((entry) => entry.isDirectory())
          .map((entry) => path.join(pattern.slice(0, -2), entry.name))
      : [pattern];
    for (const relativeDir of dirs) {
      const file = path.join(root, relativeDir, 'package.json');
      if (!existsSync(file)) continue;
      const manifest = readManifest(file);
      packages.push({ name: manifest.name, version: manifest.version, dir: path.join(root, relativeDir), relativeDir, manifest, private: manifest.private === true });
    }
  }
  return packages.sort((a, b) => a.relativeDir.localeCompare(b.relativeDir));
}

/** The repository root: the nearest folder above `from` whose package.json declares workspaces. */
export function findRepositoryRoot(from: string): string {
  let dir = path.resolve(from);
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file) && Array.isArray((JSON.parse(readFileSync(file, 'utf8')) as { workspaces?: unknown }).workspaces)) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json with workspaces above ${from}`);
    dir = parent;
  }
}
