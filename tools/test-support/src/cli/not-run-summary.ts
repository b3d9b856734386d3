#!/usr/bin/env node
// Run after `turbo run … test` (the root `npm test`): reads every workspace's test log and prints
// one line saying which test suites did not run and why.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { formatNotRunSummary, notRunSuites, type NotRunSuite } from '../not-run-summary';
import { repositoryRoot } from '../repository';

const root = repositoryRoot();
const suites: NotRunSuite[] = [];
for (const group of ['packages', 'apps', 'tools', 'examples']) {
  const dir = path.join(root, group);
  if (!existsSync(dir)) continue;
  for (const entry of readdirSync(dir).sort()) {
    const log = path.join(dir, entry, '.turbo', 'turbo-test.log');
    const manifest = path.join(dir, entry, 'package.json');
    if (!existsSync(log) || !existsSync(manifest)) continue;
    const name = (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name ?? entry;
    suites.push(...notRunSuites(name, readFileSync(log, 'utf8')));
  }
}
process.stdout.write(`\n${formatNotRunSummary(suites)}\n`);
