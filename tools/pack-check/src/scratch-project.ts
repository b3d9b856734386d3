import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCommand, tail } from './run-command';

export interface ScratchProjectOptions {
  /** Part of the folder name (`minimal`, `full`). */
  label: string;
  /** Absolute paths of the tarballs to install. */
  tarballs: readonly string[];
  /** The workspace, where native addons of the same version may already be compiled (see `buildNative`). */
  workspaceRoot: string;
  /** npm's `allowScripts` of the project (package name → allowed), written into the scratch project's package.json. */
  allowScripts?: Readonly<Record<string, boolean>>;
  /**
   * Compile native addons (better-sqlite3, hnswlib-node) from source as a user's `npm install` does
   * (about two minutes on 2 cores). Default false: install without scripts and copy the compiled
   * `.node` files of the same package version from the workspace's node_modules — the JavaScript
   * still comes from the registry; a version the workspace lacks is compiled anyway.
   */
  buildNative?: boolean;
  /** Parent folder. Default: the OS temporary folder, outside the workspace. */
  parent?: string;
  /**
   * Optional dependencies of the installed packages. One whose build fails is removed, as npm
   * removes an optional dependency whose install script fails (tfjs-node downloads libtensorflow).
   */
  optional?: ReadonlySet<string>;
}

export interface NativeAddon {
  name: string;
  version: string;
  how: 'copied from the workspace build' | 'compiled' | 'optional, failed to build: removed as npm does' | 'optional, not installable here (nor in the workspace): removed as npm does';
}

export interface ScratchProject {
  dir: string;
  installMs: number;
  nativeAddons: NativeAddon[];
  /** Delete the folder now. */
  dispose(): void;
  /** Delete the folder in a detached process (hundreds of MB: tens of seconds on a busy disk), not waiting for it. */
  disposeInBackground(): void;
}

/** Remove a folder without waiting: a detached `rm -rf` on POSIX systems, synchronously elsewhere. */
export function removeInBackground(dir: string): void {
  if (process.platform === 'win32') {
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  spawn('rm', ['-rf', dir], { detached: true, stdio: 'ignore' }).unref();
}

/** A folder where Node would find no package but the scratch project's own. */
function assertIsolated(dir: string, workspaceRoot: string): void {
  const resolved = path.resolve(dir);
  if (resolved === workspaceRoot || resolved.startsWith(`${workspaceRoot}${path.sep}`)) throw new Error(`scratch folder ${resolved} is inside the workspace ${workspaceRoot}`);
  for (let up = path.dirname(resolved); ; up = path.dirname(up)) {
    if (existsSync(path.join(up, 'node_modules'))) throw new Error(`${path.join(up, 'node_modules')} exists above the scratch folder: Node would resolve packages from it; choose another parent folder`);
    if (path.dirname(up) === up) break;
  }
}

function installedPackages(nodeModules: string): string[] {
  if (!existsSync(nodeModules)) return [];
  const dirs: string[] = [];
  for (const entry of readdirSync(nodeModules, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    if (entry.name.startsWith('@')) {
      for (const scoped of readdirSync(path.join(nodeModules, entry.name), { withFileTypes: true })) {
        if (scoped.isDirectory()) dirs.push(path.join(nodeModules, entry.name, scoped.name));
      }
    } else dirs.push(path.join(nodeModules, entry.name));
  }
  return dirs;
}

function compiledAddons(packageDir: string): string[] {
  const release = path.join(packageDir, 'build', 'Release');
  return existsSync(release) ? readdirSync(release).filter((file) => file.endsWith('.node')) : [];
}

function versionOf(packageDir: string): string | undefined {
  const file = path.join(packageDir, 'package.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version : undefined;
}

/**
 * A throwaway npm project in the OS temporary folder with the tarballs installed as a user
 * installs them: `npm install --prefer-offline` of the tarball files, so every other dependency
 * comes from the registry (or npm's cache), never from the workspace.
 */
export async function createScratchProject(options: ScratchProjectOptions): Promise<ScratchProject> {
  const parent = options.parent ?? os.tmpdir();
  assertIsolated(path.join(parent, 'x'), path.resolve(options.workspaceRoot));
  const dir = mkdtempSync(path.join(parent, `harma-pack-check-${options.label}-`));
  const dispose = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    const manifest = { name: `harma-pack-check-${options.label}`, private: true, description: 'scratch project of tools/pack-check', allowScripts: options.allowScripts ?? {} };
    writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const args = ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...(options.buildNative ? [] : ['--ignore-scripts']), ...options.tarballs];
    const install = await runCommand('npm', args, { cwd: dir, timeoutMs: 15 * 60_000 });
    if (install.code !== 0) throw new Error(`npm install of ${options.tarballs.length} tarballs failed in ${dir} (exit ${install.code}):\n${tail(install.stderr || install.stdout)}`);
    const nativeAddons: NativeAddon[] = [];
    if (!options.buildNative) {
      for (const packageDir of installedPackages(path.join(dir, 'node_modules'))) {
        if (!existsSync(path.join(packageDir, 'binding.gyp')) || compiledAddons(packageDir).length > 0) continue;
        const name = path.relative(path.join(dir, 'node_modules'), packageDir).split(path.sep).join('/');
        const version = versionOf(packageDir) ?? '?';
        const built = path.join(options.workspaceRoot, 'node_modules', name);
        const addons = compiledAddons(built);
        if (versionOf(built) === version && addons.length > 0) {
          mkdirSync(path.join(packageDir, 'build', 'Release'), { recursive: true });
          for (const addon of addons) copyFileSync(path.join(built, 'build', 'Release', addon), path.join(packageDir, 'build', 'Release', addon));
          nativeAddons.push({ name, version, how: 'copied from the workspace build' });
          continue;
        }
        // An optional addon the workspace's own install dropped (tfjs-node downloads libtensorflow,
        // which fails offline) would fail here too: drop it as npm does, without trying.
        if (options.optional?.has(name) && !existsSync(built)) {
          rmSync(packageDir, { recursive: true, force: true });
          nativeAddons.push({ name, version, how: 'optional, not installable here (nor in the workspace): removed as npm does' });
          continue;
        }
        const rebuild = await runCommand('npm', ['rebuild', name, '--foreground-scripts'], { cwd: dir, timeoutMs: 15 * 60_000 });
        if (rebuild.code === 0) nativeAddons.push({ name, version, how: 'compiled' });
        else if (options.optional?.has(name)) {
          rmSync(packageDir, { recursive: true, force: true });
          nativeAddons.push({ name, version, how: 'optional, failed to build: removed as npm does' });
        } else throw new Error(`npm rebuild ${name} failed in ${dir}:\n${tail(rebuild.stderr || rebuild.stdout)}`);
      }
    }
    return { dir, installMs: install.ms, nativeAddons, dispose, disposeInBackground: () => removeInBackground(dir) };
  } catch (error) {
    dispose();
    throw error;
  }
}
