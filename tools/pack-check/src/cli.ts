#!/usr/bin/env node
import { Command } from 'commander';
import { checkRelease } from './changeset-check';
import { formatReport, runPackCheck } from './pack-check';
import { findRepositoryRoot } from './workspace';

const program = new Command('harma-pack-check')
  .description('pack every package, install the tarballs in a scratch project outside the workspace, run each README example as ESM and CommonJS, and dry-run the release')
  .option('--root <dir>', 'repository root', findRepositoryRoot(process.cwd()))
  .option('--build-native', 'compile native addons in the scratch project as a user install does (slower)')
  .option('--keep', 'keep the tarballs and scratch projects')
  .option('--release-only', 'only the dry-run release (changesets)')
  .option('--json', 'print the report as JSON')
  .action(async (options: { root: string; buildNative?: boolean; keep?: boolean; releaseOnly?: boolean; json?: boolean }) => {
    if (options.releaseOnly) {
      const report = await checkRelease(options.root);
      process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${report.releases.map((r) => `${r.name} ${r.from} → ${r.to}`).join('\n')}\n${report.problems.length === 0 ? 'no problems' : report.problems.map((p) => `✗ ${p}`).join('\n')}\n`);
      if (report.problems.length > 0) process.exitCode = 1;
      return;
    }
    const report = await runPackCheck({ root: options.root, buildNative: options.buildNative, keep: options.keep, log: (line) => process.stderr.write(`${line}\n`) });
    process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
    if (report.problems.length > 0) process.exitCode = 1;
  });

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`harma-pack-check: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
