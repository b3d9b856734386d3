import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repositoryRoot } from '../src/index';
import { referenceDataReaders, testCacheDisabled } from './turbo-test-cache';

interface DryRunTask {
  taskId: string;
  inputs: Record<string, string>;
  resolvedTaskDefinition: { cache: boolean };
}

/** What turbo would hash and cache for one package's `test` task (`turbo run test --dry=json`). */
async function dryRunTest(root: string, workspace: string): Promise<DryRunTask> {
  const { stdout } = await promisify(execFile)(path.join(root, 'node_modules', '.bin', 'turbo'), ['run', 'test', `--filter=${workspace}`, '--dry=json'], {
    cwd: root,
    maxBuffer: 64 * 1024 * 1024,
  });
  const tasks = (JSON.parse(stdout) as { tasks: DryRunTask[] }).tasks;
  const task = tasks.find((entry) => entry.taskId === `${workspace}#test`);
  if (!task) throw new Error(`turbo's dry run lists no ${workspace}#test`);
  return task;
}

describe("turbo's cache of the test task", () => {
  it('hashes the shared fixtures and vitest settings a package test reads from the repository root', async () => {
    const root = repositoryRoot();
    const manifest = JSON.parse(readFileSync(path.join(root, 'packages', 'metrics', 'package.json'), 'utf8')) as { name: string };
    const task = await dryRunTest(root, manifest.name);
    expect(task.resolvedTaskDefinition.cache).toBe(true);
    const inputs = Object.keys(task.inputs);
    // The metrics tests read fixtures/golden/metrics/cases.json: editing it must miss the cache.
    expect(inputs).toContain('../../fixtures/golden/metrics/cases.json');
    expect(inputs).toContain('../../fixtures/golden/tiny-gelu/weights.safetensors');
    expect(inputs).toContain('../../vitest.shared.ts');
    // The package's own files stay inputs.
    expect(inputs).toContain('src/index.ts');
  });

  it('is off in every workspace whose tests read the reference data, which lies outside the repository', () => {
    const root = repositoryRoot();
    const readers = referenceDataReaders(root);
    // The scan finds the known readers: the tokenizer, the annotation readers, the golden checker.
    expect([...readers.keys()]).toEqual(expect.arrayContaining(['packages/backbones', 'packages/data', 'tools/golden']));
    const cached = [...readers].filter(([workspace]) => !testCacheDisabled(root, workspace)).map(([workspace, file]) => `${workspace} (${file})`);
    expect(cached, 'set tasks.test.cache to false in these workspaces\' turbo.json: turbo cannot hash the reference data').toEqual([]);
  });
});
