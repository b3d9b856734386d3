import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import parseChangeset from '@changesets/parse';
import semver from 'semver';
import { checkInternalRanges } from './manifest-check';
import { runCommand, tail } from './run-command';
import { readWorkspace, type WorkspacePackage } from './workspace';

export interface PlannedRelease {
  name: string;
  from: string;
  to: string;
}

export interface ChangesetReport {
  /** The pending changeset files. */
  changesets: string[];
  /** Versions `changeset version` gives, for every package it bumps. */
  releases: PlannedRelease[];
  problems: string[];
}

const BUMPS = new Set(['major', 'minor', 'patch']);

/** Check each pending `.changeset/*.md`: front matter parses, names publishable packages, has a summary. */
export function checkChangesetFiles(changesetDir: string, packages: readonly WorkspacePackage[]): { files: string[]; problems: string[]; summaries: Map<string, string[]> } {
  const byName = new Map(packages.map((p) => [p.name, p]));
  const files = readdirSync(changesetDir).filter((file) => file.endsWith('.md') && file.toLowerCase() !== 'readme.md').sort();
  const problems: string[] = [];
  const summaries = new Map<string, string[]>();
  for (const file of files) {
    const where = `.changeset/${file}`;
    let parsed: { summary: string; releases: Array<{ name: string; type: string }> };
    try {
      parsed = parseChangeset(readFileSync(path.join(changesetDir, file), 'utf8'));
    } catch (error) {
      problems.push(`${where}: ${(error as Error).message.split('\n')[0]}`);
      continue;
    }
    if (parsed.releases.length === 0) problems.push(`${where}: names no package (an empty changeset releases nothing; delete it or add "@harma/<pkg>": minor)`);
    if (parsed.summary.trim() === '') problems.push(`${where}: no summary: the changelog would get an empty line`);
    for (const { name, type } of parsed.releases) {
      const target = byName.get(name);
      if (!target) problems.push(`${where}: "${name}" is not a package of this workspace`);
      else if (target.private) problems.push(`${where}: "${name}" is private and is never released`);
      if (!BUMPS.has(type)) problems.push(`${where}: "${name}": bump "${type}" is not major, minor or patch`);
      summaries.set(name, [...(summaries.get(name) ?? []), parsed.summary.trim().split('\n')[0] as string]);
    }
  }
  return { files, problems, summaries };
}

/** The config promises the release depends on: independent versions, private packages left alone, a changelog. */
export function checkChangesetConfig(config: Record<string, unknown>, packages: readonly WorkspacePackage[]): string[] {
  const problems: string[] = [];
  const where = '.changeset/config.json';
  const privatePackages = config.privatePackages as { version?: boolean; tag?: boolean } | undefined;
  if (privatePackages?.version !== false) problems.push(`${where}: privatePackages.version must be false: private tools and examples would get versions and changelogs`);
  if (privatePackages?.tag !== false) problems.push(`${where}: privatePackages.tag must be false`);
  if (config.access !== 'public') problems.push(`${where}: access must be "public" (scoped packages are restricted by default)`);
  if (!config.changelog) problems.push(`${where}: no changelog generator`);
  for (const group of [...((config.fixed as string[][]) ?? []), ...((config.linked as string[][]) ?? [])]) {
    if (group.length > 0) problems.push(`${where}: fixed/linked groups are set, but the packages are versioned independently`);
  }
  const names = new Set(packages.map((p) => p.name));
  for (const name of (config.ignore as string[]) ?? []) if (!names.has(name)) problems.push(`${where}: ignore names "${name}", which is not a workspace package`);
  return problems;
}

/**
 * A dry-run release: copy the manifests and `.changeset/` into a throwaway folder, run
 * `changeset version` there (with the modules of `options.modules`, default the root's
 * node_modules), and check the result is coherent — every package with a changeset is
 * bumped and its CHANGELOG.md carries the summaries; private packages keep their version and get no
 * changelog; every internal dependency range accepts the new versions; the changesets are consumed.
 */
export async function checkRelease(root: string, options: { modules?: string } = {}): Promise<ChangesetReport> {
  const packages = readWorkspace(root);
  const changesetDir = path.join(root, '.changeset');
  const config = JSON.parse(readFileSync(path.join(changesetDir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const files = checkChangesetFiles(changesetDir, packages);
  const problems = [...checkChangesetConfig(config, packages), ...files.problems];

  const copy = mkdtempSync(path.join(os.tmpdir(), 'harma-release-dry-run-'));
  try {
    cpSync(path.join(root, 'package.json'), path.join(copy, 'package.json'));
    cpSync(changesetDir, path.join(copy, '.changeset'), { recursive: true });
    for (const p of packages) {
      mkdirSync(path.join(copy, p.relativeDir), { recursive: true });
      cpSync(path.join(p.dir, 'package.json'), path.join(copy, p.relativeDir, 'package.json'));
      if (existsSync(path.join(p.dir, 'CHANGELOG.md'))) cpSync(path.join(p.dir, 'CHANGELOG.md'), path.join(copy, p.relativeDir, 'CHANGELOG.md'));
    }
    // The changelog generator and the CLI are resolved from the copy: lend it the workspace's modules.
    const modules = options.modules ?? path.join(root, 'node_modules');
    symlinkSync(modules, path.join(copy, 'node_modules'), 'dir');
    const cli = createRequire(path.join(path.dirname(modules), 'package.json')).resolve('@changesets/cli/bin.js');
    const run = await runCommand(process.execPath, [cli, 'version'], { cwd: copy, timeoutMs: 120_000 });
    if (run.code !== 0) {
      problems.push(`changeset version failed (exit ${run.code}):\n${tail(run.stderr || run.stdout)}`);
      return { changesets: files.files, releases: [], problems };
    }
    const after = readWorkspace(copy);
    const versions = new Map(after.map((p) => [p.name, p.version]));
    const releases: PlannedRelease[] = [];
    for (const before of packages) {
      const now = after.find((p) => p.name === before.name) as WorkspacePackage;
      const changelogFile = path.join(copy, before.relativeDir, 'CHANGELOG.md');
      const changelog = existsSync(changelogFile) ? readFileSync(changelogFile, 'utf8') : undefined;
      const hadChangelog = existsSync(path.join(before.dir, 'CHANGELOG.md'));
      if (before.private) {
        if (now.version !== before.version) problems.push(`${before.name} is private but the release bumps it ${before.version} → ${now.version}`);
        if (changelog !== undefined && !hadChangelog) problems.push(`${before.name} is private but the release writes it a CHANGELOG.md`);
        continue;
      }
      const summaries = files.summaries.get(before.name) ?? [];
      if (now.version === before.version) {
        if (summaries.length > 0) problems.push(`${before.name} has changesets but keeps version ${before.version}`);
        continue;
      }
      if (!semver.gt(now.version, before.version)) problems.push(`${before.name}: ${before.version} → ${now.version} is not an increase`);
      releases.push({ name: before.name, from: before.version, to: now.version });
      if (changelog === undefined || !changelog.includes(`## ${now.version}`)) {
        problems.push(`${before.name}: CHANGELOG.md has no "## ${now.version}" section after the release`);
        continue;
      }
      for (const summary of summaries) if (!changelog.includes(summary)) problems.push(`${before.name}: CHANGELOG.md lacks the changeset line "${summary.slice(0, 60)}…"`);
    }
    for (const p of after) problems.push(...checkInternalRanges(p.manifest, versions, (version, range) => semver.satisfies(version, range)).map((problem) => `after the release: ${problem}`));
    const left = readdirSync(path.join(copy, '.changeset')).filter((file) => files.files.includes(file));
    if (left.length > 0) problems.push(`changeset version left ${left.join(', ')} unconsumed`);
    return { changesets: files.files, releases, problems };
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}
