import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import semver from 'semver';
import { checkRelease, type ChangesetReport } from './changeset-check';
import { undeclaredImports } from './dependency-scan';
import { CJS_LOADER, ESM_LOADER, compareLoads, type EntryPoint, type LoadedEntry } from './load-entries';
import { checkInternalRanges, checkManifest, exportTargets, requireableSubpaths } from './manifest-check';
import { extractReadmeExample, toCommonJs } from './readme-example';
import { cleanEnvironment, runCommand, tail } from './run-command';
import { createScratchProject, type NativeAddon, type ScratchProject } from './scratch-project';
import { readWorkspace, type PackageManifest, type WorkspacePackage } from './workspace';

/** Packages a user may install without the rest: their README examples run in a project holding only these. */
export const MINIMAL_SET = ['@harma/core', '@harma/losses', '@harma/metrics'] as const;

export interface PackCheckOptions {
  /** Repository root. */
  root: string;
  /** Compile native addons in the scratch project instead of reusing the workspace's build (see `createScratchProject`). */
  buildNative?: boolean;
  /** Keep the scratch projects and tarballs (their folders are in the report). */
  keep?: boolean;
  /** Skip the dry-run release. */
  skipRelease?: boolean;
  /** Example programs run at once. Default: 2. */
  concurrency?: number;
  /** Packages installed alone in a second project (their README examples run there). Default: `MINIMAL_SET`. */
  minimal?: readonly string[];
  log?: (line: string) => void;
}

export interface PackedPackage {
  name: string;
  version: string;
  tarball: string;
  files: string[];
  bytes: number;
  private: boolean;
}

export interface ExampleRun {
  packageName: string;
  project: 'minimal' | 'full';
  mode: 'esm' | 'cjs';
  ok: boolean;
  ms: number;
  output: string;
}

export interface PackCheckReport {
  packages: PackedPackage[];
  problems: string[];
  notes: string[];
  examples: ExampleRun[];
  release?: ChangesetReport;
  nativeAddons: NativeAddon[];
  /** Milliseconds per phase. */
  timings: Record<string, number>;
  /** Folders left behind with `keep`. */
  kept: string[];
}

interface NpmPackResult {
  name: string;
  version: string;
  filename: string;
  size: number;
  files: Array<{ path: string }>;
}

async function timed<T>(timings: Record<string, number>, phase: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    timings[phase] = Math.round(performance.now() - started);
  }
}

/** Run `work` over `items`, at most `limit` at a time, keeping the order of the results. */
async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  });
  await Promise.all(workers);
  return results;
}

/** What gets packed: every publishable package, and the examples (private, but users copy them and they must work from the tarballs too). */
function packTargets(packages: readonly WorkspacePackage[]): WorkspacePackage[] {
  return packages.filter((p) => !p.private || p.relativeDir.startsWith('examples/'));
}

async function packAll(root: string, targets: readonly WorkspacePackage[], destination: string): Promise<PackedPackage[]> {
  const args = ['pack', '--json', '--pack-destination', destination, '--loglevel=error', ...targets.flatMap((p) => ['-w', p.relativeDir])];
  const result = await runCommand('npm', args, { cwd: root });
  if (result.code !== 0) throw new Error(`npm pack failed (exit ${result.code}):\n${tail(result.stderr || result.stdout)}`);
  const packed = JSON.parse(result.stdout) as NpmPackResult[];
  return packed.map((entry) => ({
    name: entry.name,
    version: entry.version,
    tarball: path.join(destination, entry.filename),
    files: entry.files.map((file) => file.path),
    bytes: entry.size,
    private: targets.find((p) => p.name === entry.name)?.private ?? false,
  }));
}

function entryPoints(packageName: string, installedDir: string): EntryPoint[] {
  const manifest = JSON.parse(readFileSync(path.join(installedDir, 'package.json'), 'utf8')) as { exports?: unknown; peerDependenciesMeta?: Record<string, { optional?: boolean }> };
  const subpaths = [...new Set(exportTargets(manifest.exports).map((t) => t.subpath))].filter((s) => !s.endsWith('.json') && !s.includes('*'));
  const requireable = requireableSubpaths(manifest.exports);
  const optionalPeers = Object.entries(manifest.peerDependenciesMeta ?? {}).filter(([, meta]) => meta.optional).map(([name]) => name);
  return subpaths.map((subpath) => ({
    packageName,
    specifier: subpath === '.' ? packageName : `${packageName}/${subpath.slice(2)}`,
    requireable: requireable.has(subpath),
    optionalPeers,
  }));
}

async function loadEntries(project: ScratchProject, entries: readonly EntryPoint[]): Promise<{ esm: LoadedEntry[]; cjs: LoadedEntry[]; problems: string[] }> {
  writeFileSync(path.join(project.dir, 'load-entries.mjs'), ESM_LOADER);
  writeFileSync(path.join(project.dir, 'load-entries.cjs'), CJS_LOADER);
  const problems: string[] = [];
  const run = async (file: string): Promise<LoadedEntry[]> => {
    const result = await runCommand(process.execPath, [file, JSON.stringify(entries)], { cwd: project.dir, env: cleanEnvironment({ HARMA_LOG_LEVEL: 'warn' }), timeoutMs: 180_000 });
    try {
      return JSON.parse(result.stdout) as LoadedEntry[];
    } catch {
      problems.push(`${file} crashed (exit ${result.code}):\n${tail(result.stderr)}`);
      return [];
    }
  };
  const [esm, cjs] = await Promise.all([run('load-entries.mjs'), run('load-entries.cjs')]);
  return { esm, cjs, problems };
}

/**
 * Check the packages as users get them: pack every publishable package (and the examples), check
 * each manifest against its tarball, install the tarballs into scratch projects in the OS
 * temporary folder (dependencies from the registry), scan the installed code for imports its
 * package.json does not declare, load every entry point with `import` and `require`, run every
 * README's marked example as an ES module and as CommonJS, and dry-run the release.
 */
export async function runPackCheck(options: PackCheckOptions): Promise<PackCheckReport> {
  const started = performance.now();
  const log = options.log ?? (() => undefined);
  const timings: Record<string, number> = {};
  const problems: string[] = [];
  const notes: string[] = [];
  const kept: string[] = [];
  const root = path.resolve(options.root);
  const workspace = readWorkspace(root);
  const versions = new Map(workspace.map((p) => [p.name, p.version]));
  for (const p of workspace) problems.push(...checkInternalRanges(p.manifest, versions, (version, range) => semver.satisfies(version, range)));

  const tarballDir = mkdtempSync(path.join(os.tmpdir(), 'harma-pack-check-tarballs-'));
  const projects: ScratchProject[] = [];
  let release: ChangesetReport | undefined;
  const releasePromise = options.skipRelease ? undefined : timed(timings, 'release dry run', () => checkRelease(root));
  try {
    const targets = packTargets(workspace);
    const packed = await timed(timings, 'npm pack', () => packAll(root, targets, tarballDir));
    log(`packed ${packed.length} packages in ${timings['npm pack']} ms: ${packed.map((p) => `${p.name}@${p.version} (${p.files.length} files, ${(p.bytes / 1024).toFixed(0)} KiB)`).join(', ')}`);

    const examples = new Map<string, string>();
    for (const pkg of packed) {
      const source = targets.find((t) => t.name === pkg.name) as WorkspacePackage;
      problems.push(...checkManifest(source.manifest, pkg.files));
      const readme = path.join(source.dir, 'README.md');
      const example = existsSync(readme) ? extractReadmeExample(readFileSync(readme, 'utf8'), `${source.relativeDir}/README.md`) : undefined;
      if (example === undefined) problems.push(`${pkg.name}: README.md has no runnable example (a \`\`\`js block after <!-- pack-check: example -->)`);
      else examples.set(pkg.name, example);
    }

    const tarballOf = (name: string): string => (packed.find((p) => p.name === name) as PackedPackage).tarball;
    const minimalNames = (options.minimal ?? MINIMAL_SET).filter((name) => packed.some((p) => p.name === name));
    // The install scripts the project allows and denies (onnxruntime-node's would fetch CUDA extras), as a user copies them.
    const allowScripts = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> }).allowScripts ?? {};
    const optional = new Set(targets.flatMap((t) => Object.keys(t.manifest.optionalDependencies ?? {})));
    const install = (label: string, names: readonly string[]): Promise<ScratchProject> =>
      timed(timings, `install ${label}`, () => createScratchProject({ label, tarballs: names.map(tarballOf), workspaceRoot: root, allowScripts, buildNative: options.buildNative, optional }));
    const installs = await Promise.allSettled([
      minimalNames.length > 0 ? install('minimal', minimalNames) : Promise.resolve(undefined),
      install('full', packed.map((p) => p.name)),
    ]);
    // Keep whatever was created, so that `finally` removes it even when the other install failed.
    for (const result of installs) if (result.status === 'fulfilled' && result.value) projects.push(result.value);
    for (const result of installs) if (result.status === 'rejected') throw result.reason;
    const [minimal, full] = installs.map((result) => (result as PromiseFulfilledResult<ScratchProject | undefined>).value) as [ScratchProject | undefined, ScratchProject];
    log(`installed: ${minimal ? `${minimalNames.join(' + ')} alone in ${minimal.dir} (${timings['install minimal']} ms); ` : ''}all ${packed.length} in ${full.dir} (${timings['install full']} ms)`);
    for (const addon of full.nativeAddons) notes.push(`native addon ${addon.name}@${addon.version}: ${addon.how}`);

    await timed(timings, 'imports and publint', async () => {
      for (const pkg of packed) {
        // The installed folder holds exactly the tarball's files: lint and scan what users get.
        const installed = path.join(full.dir, 'node_modules', pkg.name);
        const manifest = JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8')) as PackageManifest;
        problems.push(...undeclaredImports(installed, manifest, pkg.files));
        const lint = await publint({ pkgDir: installed, level: 'warning', pack: false });
        problems.push(...lint.messages.map((message) => `${pkg.name} (publint): ${formatMessage(message, manifest, { color: false }) ?? message.code}`));
      }
    });

    const loads = await timed(timings, 'load entry points', async () => {
      const sets = [...(minimal ? [{ project: minimal, label: 'minimal', names: minimalNames }] : []), { project: full, label: 'full', names: packed.map((p) => p.name) }];
      return Promise.all(
        sets.map(async ({ project, label, names }) => {
          const entries = names.flatMap((name) => entryPoints(name, path.join(project.dir, 'node_modules', name)));
          return { project: label, entries, ...(await loadEntries(project, entries)) };
        }),
      );
    });
    for (const load of loads) {
      problems.push(...load.problems);
      const compared = compareLoads(load.esm, load.cjs, load.entries);
      problems.push(...compared.problems.map((p) => `${load.project} project: ${p}`));
      notes.push(...compared.notes.filter((n) => load.project === 'full' || !n.includes('ESM-only')));
    }

    const esmOnly = new Set(packed.filter((p) => !requireableSubpaths(JSON.parse(readFileSync(path.join(full.dir, 'node_modules', p.name, 'package.json'), 'utf8')).exports).has('.')).map((p) => p.name));
    const harmaPackages = new Set(packed.map((p) => p.name));
    const runs = [...examples].flatMap(([name, code]) => {
      const alone = minimal !== undefined && minimalNames.includes(name);
      const project = alone ? minimal : full;
      const label = alone ? 'minimal' : 'full';
      const slug = name.replace(/^@/, '').replace(/\//g, '-');
      // A CommonJS program that uses an ESM-only package loads the whole HarMA.js stack with
      // import(), so that one copy of each package (one backbone registry) is in the process.
      const usesEsmOnly = [...esmOnly].some((pkgName) => code.includes(`'${pkgName}'`));
      const cjs = toCommonJs(code, usesEsmOnly ? harmaPackages : esmOnly);
      writeFileSync(path.join(project.dir, `${slug}.mjs`), code);
      writeFileSync(path.join(project.dir, `${slug}.cjs`), cjs);
      return (['esm', 'cjs'] as const).map((mode) => ({ name, mode, project, label: label as 'minimal' | 'full', file: `${slug}.${mode === 'esm' ? 'mjs' : 'cjs'}` }));
    });
    const exampleRuns = await timed(timings, 'README examples', () =>
      mapLimit(runs, options.concurrency ?? 2, async (run): Promise<ExampleRun> => {
        const result = await runCommand(process.execPath, [run.file], { cwd: run.project.dir, env: cleanEnvironment({ HARMA_LOG_LEVEL: 'warn' }), timeoutMs: 300_000 });
        const ok = result.code === 0;
        log(`${ok ? 'ok  ' : 'FAIL'} ${run.name} README example as ${run.mode.toUpperCase()} (${run.label} project) ${Math.round(result.ms)} ms`);
        return { packageName: run.name, project: run.label, mode: run.mode, ok, ms: Math.round(result.ms), output: tail(`${result.stdout}\n${result.stderr}`, ok ? 8 : 30) };
      }),
    );
    for (const run of exampleRuns) {
      if (!run.ok) problems.push(`${run.packageName}: the README example fails as ${run.mode === 'esm' ? 'an ES module' : 'CommonJS'} in the ${run.project} project:\n${run.output}`);
    }

    if (releasePromise) {
      release = await releasePromise;
      problems.push(...release.problems);
    }
    timings.total = Math.round(performance.now() - started);
    return { packages: packed, problems, notes, examples: exampleRuns, release, nativeAddons: full.nativeAddons, timings, kept };
  } finally {
    await releasePromise?.catch(() => undefined);
    if (options.keep) kept.push(tarballDir, ...projects.map((p) => p.dir));
    else {
      rmSync(tarballDir, { recursive: true, force: true });
      for (const project of projects) project.disposeInBackground();
    }
  }
}

/** The report as text: one line per package and example, then problems and notes. */
export function formatReport(report: PackCheckReport): string {
  const lines: string[] = [];
  lines.push(`packages (${report.packages.length}):`);
  for (const p of report.packages) lines.push(`  ${p.name}@${p.version}${p.private ? ' (private example)' : ''}: ${p.files.length} files, ${(p.bytes / 1024).toFixed(0)} KiB`);
  lines.push(`README examples (${report.examples.length}):`);
  for (const e of report.examples) lines.push(`  ${e.ok ? 'ok  ' : 'FAIL'} ${e.packageName} ${e.mode} (${e.project}) ${e.ms} ms`);
  if (report.release) {
    lines.push(`release dry run (${report.release.changesets.length} changesets):`);
    for (const r of report.release.releases) lines.push(`  ${r.name} ${r.from} → ${r.to}`);
  }
  lines.push(`timings (ms): ${Object.entries(report.timings).map(([phase, ms]) => `${phase} ${ms}`).join(', ')}`);
  if (report.notes.length > 0) lines.push('notes:', ...report.notes.map((n) => `  - ${n}`));
  if (report.kept.length > 0) lines.push('kept:', ...report.kept.map((k) => `  ${k}`));
  lines.push(report.problems.length === 0 ? 'no problems' : `${report.problems.length} problems:`);
  lines.push(...report.problems.map((p) => `  ✗ ${p}`));
  return lines.join('\n');
}
