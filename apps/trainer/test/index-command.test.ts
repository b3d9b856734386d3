import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { syntheticDatasetFiles } from '@harma/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyRun } from './tiny-run';

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/cli.js');
const run = (args: string[], cwd: string) => promisify(execFile)(process.execPath, [cli, ...args], { cwd, env: { ...process.env, HARMA_LOG_FORMAT: 'json', HARMA_LOG_LEVEL: 'info' } });

/** The JSON log lines of a run (stderr) with message `msg`. */
function logged(stderr: string, msg: string): Array<Record<string, unknown>> {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.msg === msg);
}

describe('harma index: shards of one gallery into one Lance table, by concurrent processes', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'harma-index-cli-'));
    await writeTinyRun(dir);
    await run(['export', '--config', 'run.yaml', '--out', 'model', '--no-verify'], dir);
  });

  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('two shard processes at once fill the table exactly: every image once', async () => {
    const gallery = path.relative(dir, syntheticDatasetFiles(path.join(dir, 'data')).imageRoot);
    const shard = (spec: string) => run(['index', '--model', 'model', '--gallery', gallery, '--store-uri', 'table', '--index-dir', `local-${spec.replace('/', '-')}`, '--batch-size', '4', '--shard', spec], dir);
    const runs = await Promise.all([shard('0/2'), shard('1/2')]);
    const added = runs.map(({ stderr }) => logged(stderr, 'indexing done')[0]?.added as number);
    expect(added[0]).toBeGreaterThan(0);
    expect(added[1]).toBeGreaterThan(0);
    expect((added[0] as number) + (added[1] as number)).toBe(64);
    // One more pass over the whole gallery finds all 64 rows in the table and nothing to do.
    const { stderr } = await run(['index', '--model', 'model', '--gallery', gallery, '--store-uri', 'table', '--index-dir', 'local-all'], dir);
    expect(logged(stderr, 'indexing gallery')[0]).toMatchObject({ files: 64, indexed: 64, toCheck: 0, removed: 0 });
  });
});
