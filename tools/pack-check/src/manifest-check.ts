import path from 'node:path';
import type { PackageManifest } from './workspace';

/** One entry point of an `exports` map: its subpath, the conditions leading to it, and the file. */
export interface ExportTarget {
  subpath: string;
  conditions: string[];
  target: string;
}

function normalizeTarget(target: string): string {
  return path.posix.normalize(target.replace(/^\.\//, ''));
}

/** Every file target of an `exports` map (null targets — blocked subpaths — are skipped). */
export function exportTargets(exportsField: unknown): ExportTarget[] {
  const targets: ExportTarget[] = [];
  const walk = (value: unknown, subpath: string, conditions: string[]): void => {
    if (typeof value === 'string') targets.push({ subpath, conditions, target: value });
    else if (Array.isArray(value)) value.forEach((item) => walk(item, subpath, conditions));
    else if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) walk(inner, subpath, [...conditions, key]);
    }
  };
  if (typeof exportsField === 'string' || Array.isArray(exportsField)) walk(exportsField, '.', []);
  else if (exportsField !== null && typeof exportsField === 'object') {
    const keys = Object.keys(exportsField);
    const isSubpathMap = keys.every((key) => key.startsWith('.'));
    if (isSubpathMap) for (const [subpath, value] of Object.entries(exportsField)) walk(value, subpath, []);
    else walk(exportsField, '.', []);
  }
  return targets;
}

/** Subpaths of the exports map that a `require()` can load (some condition chain holds `require` or `default` outside `import`). */
export function requireableSubpaths(exportsField: unknown): Set<string> {
  const result = new Set<string>();
  for (const { subpath, conditions } of exportTargets(exportsField)) {
    if (conditions.includes('import') || conditions.includes('types')) continue;
    if (conditions.length === 0 || conditions.includes('require') || conditions.includes('default') || conditions.includes('node')) result.add(subpath);
  }
  return result;
}

/** The module system Node gives a file of this package: by extension, else by the package's `type`. */
export function moduleFormat(file: string, manifest: PackageManifest): 'esm' | 'cjs' | 'other' {
  if (file.endsWith('.mjs')) return 'esm';
  if (file.endsWith('.cjs')) return 'cjs';
  if (file.endsWith('.js')) return manifest.type === 'module' ? 'esm' : 'cjs';
  return 'other';
}

function typesFormat(file: string, manifest: PackageManifest): 'esm' | 'cjs' | 'other' {
  if (file.endsWith('.d.mts')) return 'esm';
  if (file.endsWith('.d.cts')) return 'cjs';
  if (file.endsWith('.d.ts')) return manifest.type === 'module' ? 'esm' : 'cjs';
  return 'other';
}

/** Does a `files` entry of package.json select at least one packed file? */
function selectsSomething(entry: string, packed: readonly string[]): boolean {
  const clean = normalizeTarget(entry).replace(/\/$/, '');
  if (clean.includes('*')) {
    const pattern = new RegExp(`^${clean.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*\*/g, '.*').replace(/(?<!\.)\*/g, '[^/]*')}(/|$)`);
    return packed.some((file) => pattern.test(file));
  }
  return packed.some((file) => file === clean || file.startsWith(`${clean}/`));
}

/**
 * What a package.json promises against what its tarball holds: every entry point (`main`,
 * `module`, `types`, `bin`, every `exports` target) is packed; `import` targets are ES modules and
 * `require` targets CommonJS (by extension and `type`), with declaration files of the same kind;
 * `types` comes first in its condition object; every `files` entry packs something; the README
 * and a license field are there. Returns one sentence per defect.
 */
export function checkManifest(manifest: PackageManifest, packedFiles: readonly string[]): string[] {
  const problems: string[] = [];
  const packed = new Set(packedFiles.map(normalizeTarget));
  const where = `${manifest.name}/package.json`;
  const needFile = (field: string, target: string): void => {
    if (!packed.has(normalizeTarget(target))) problems.push(`${where}: ${field} points to ${target}, which is not in the tarball (missing from "files", or not built)`);
  };

  if (!Array.isArray(manifest.files) || manifest.files.length === 0) problems.push(`${where}: no "files" list: the tarball would hold the whole folder (sources, tests, caches)`);
  for (const entry of manifest.files ?? []) {
    if (!selectsSomething(entry, [...packed])) problems.push(`${where}: "files" entry "${entry}" packs nothing`);
  }
  if (![...packed].some((file) => /^readme(\.md)?$/i.test(file))) problems.push(`${where}: the tarball has no README.md (users see an empty page on npm)`);
  if (!manifest.license) problems.push(`${where}: no "license"`);

  if (manifest.main !== undefined) needFile('"main"', manifest.main);
  if (manifest.module !== undefined) needFile('"module"', manifest.module);
  if (manifest.types !== undefined) needFile('"types"', manifest.types);
  const bins = typeof manifest.bin === 'string' ? { [manifest.name]: manifest.bin } : (manifest.bin ?? {});
  for (const [name, target] of Object.entries(bins)) needFile(`"bin".${name}`, target);

  if (manifest.exports === undefined) problems.push(`${where}: no "exports" map`);
  for (const { subpath, conditions, target } of exportTargets(manifest.exports)) {
    const label = `"exports"["${subpath}"]${conditions.map((c) => `.${c}`).join('')}`;
    if (target.includes('*')) continue;
    if (!target.startsWith('./')) problems.push(`${where}: ${label} is "${target}"; targets must start with ./`);
    needFile(label, target);
    const isTypes = conditions.at(-1) === 'types';
    const kind = conditions.includes('import') ? 'esm' : conditions.includes('require') ? 'cjs' : undefined;
    if (kind === undefined || target.endsWith('.json')) continue;
    const actual = isTypes ? typesFormat(target, manifest) : moduleFormat(target, manifest);
    if (actual !== kind) {
      const what = isTypes ? 'declarations' : 'module';
      problems.push(`${where}: ${label} is ${target}, a ${actual === 'esm' ? 'ES' : actual === 'cjs' ? 'CommonJS' : 'non-JavaScript'} ${what}, under the ${kind === 'esm' ? 'import' : 'require'} condition`);
    }
  }
  const checkOrder = (value: unknown, label: string): void => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
    const keys = Object.keys(value);
    if (keys.includes('types') && keys[0] !== 'types') problems.push(`${where}: ${label}: "types" must be the first condition (TypeScript reads the first match)`);
    if (keys.includes('default') && keys.at(-1) !== 'default') problems.push(`${where}: ${label}: "default" must be the last condition`);
    for (const [key, inner] of Object.entries(value)) checkOrder(inner, `${label}.${key}`);
  };
  if (manifest.exports !== null && typeof manifest.exports === 'object') {
    for (const [key, value] of Object.entries(manifest.exports)) checkOrder(value, `"exports"["${key}"]`);
  }
  return problems;
}

/**
 * Internal dependency ranges: each `@harma/*`-style dependency on a workspace package must accept
 * that package's current version, or an install takes another version from the registry.
 */
export function checkInternalRanges(manifest: PackageManifest, versions: ReadonlyMap<string, string>, satisfies: (version: string, range: string) => boolean): string[] {
  const problems: string[] = [];
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies', 'devDependencies'] as const) {
    for (const [name, range] of Object.entries(manifest[field] ?? {})) {
      const version = versions.get(name);
      if (version !== undefined && !satisfies(version, range)) {
        problems.push(`${manifest.name}/package.json: ${field}.${name} is "${range}", which the workspace's ${name}@${version} does not satisfy`);
      }
    }
  }
  return problems;
}
