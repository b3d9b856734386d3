import path from 'node:path';
import { syntheticDatasetFiles } from '@harma/data';
import { describe, expect, it } from 'vitest';
import { exportedTinyModel, runCli } from './exported-tiny-model';

const run = (args: string[], cwd: string) => runCli(args, cwd, { HARMA_LOG_FORMAT: 'json', HARMA_LOG_LEVEL: 'info' });

/** The JSON log lines of a run (stderr) with message `msg`. */
function logged(stderr: string, msg: string): Array<Record<string, unknown>> {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.msg === msg);
}

describe('harma index: shards of one gallery into one Lance table, by concurrent processes', () => {
  const folder = exportedTinyModel('harma-index-cli-');

  it('two shard processes at once fill the table exactly: every image once', async () => {
    const dir = folder();
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
