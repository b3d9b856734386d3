import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import type { PackageManifest } from './workspace';

/** A module specifier found in built code. */
export interface FoundImport {
  specifier: string;
  /** The package it names (`@scope/name` or `name`). */
  packageName: string;
}

// Static imports/exports and side-effect imports at the start of a line (as bundlers emit them);
// the string literals given to dynamic import(), `require`, `require.resolve` and the functions made
// by `createRequire` (such as `requireFromHere`) — of a conditional argument, its two outcomes.
const STATIC = /^\s*(?:import|export)\s*(?:[\w*{}\s,$]+\s*from\s*)?['"]([^'"\n]+)['"]/gm;
const CREATE_REQUIRE = /(?:const|let|var)\s+([\w$]+)\s*=\s*(?:\(0,\s*)?[\w$.]*createRequire\)?\s*\(/g;
const LITERAL = /['"]([^'"\n]+)['"]/g;

function callPattern(callees: readonly string[]): RegExp {
  const names = callees.map((name) => name.replace(/\$/g, '\\$')).join('|');
  return new RegExp(`(?:\\bimport|(?<![\\w$.])(?:${names})(?:\\.resolve)?)\\s*\\(([^()]*)\\)`, 'g');
}

/** Block comments and whole-line `//` comments (JSDoc examples mention imports that are not code). */
function stripComments(code: string): string {
  return code.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/^\s*\/\/.*$/gm, '');
}

/** The package a bare specifier names; undefined for relative paths, URLs and Node builtins. */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('node:') || isBuiltin(specifier)) return undefined;
  if (/^[./#]/.test(specifier) || /^[a-z][a-z0-9+.-]*:/i.test(specifier)) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Bare module specifiers a JavaScript file loads. */
export function findImports(code: string): FoundImport[] {
  const clean = stripComments(code);
  const found = new Map<string, FoundImport>();
  const add = (specifier: string): void => {
    const packageName = packageOf(specifier);
    if (packageName !== undefined) found.set(specifier, { specifier, packageName });
  };
  for (const match of clean.matchAll(STATIC)) add(match[1] as string);
  const callees = ['require', ...[...clean.matchAll(CREATE_REQUIRE)].map((match) => match[1] as string)];
  for (const match of clean.matchAll(callPattern(callees))) {
    const args = match[1] as string;
    const outcomes = args.includes('?') ? args.slice(args.indexOf('?')) : args;
    for (const literal of outcomes.matchAll(LITERAL)) add(literal[1] as string);
  }
  return [...found.values()];
}

/** Packages a manifest lets its code load at run time. */
export function declaredRuntimePackages(manifest: PackageManifest): Set<string> {
  return new Set([manifest.name, ...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {}), ...Object.keys(manifest.optionalDependencies ?? {})]);
}

/**
 * Imports in a package's packed JavaScript that its package.json does not declare as a
 * dependency, peer or optional dependency — code that works in the workspace (hoisting) and fails
 * for users. `files` are paths inside `packageDir` (the packed file list).
 */
export function undeclaredImports(packageDir: string, manifest: PackageManifest, files: readonly string[]): string[] {
  const declared = declaredRuntimePackages(manifest);
  const problems = new Map<string, string[]>();
  for (const file of files) {
    if (!/\.(c|m)?js$/.test(file)) continue;
    for (const { specifier, packageName } of findImports(readFileSync(path.join(packageDir, file), 'utf8'))) {
      if (declared.has(packageName)) continue;
      const key = `${packageName}${manifest.devDependencies?.[packageName] ? ' (only a devDependency)' : ''}`;
      problems.set(key, [...(problems.get(key) ?? []), `${file} loads '${specifier}'`]);
    }
  }
  return [...problems].map(([name, where]) => `${manifest.name}: imports ${name} without declaring it in dependencies, peerDependencies or optionalDependencies: ${where.slice(0, 3).join('; ')}${where.length > 3 ? `; … ${where.length - 3} more` : ''}`);
}
