import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll } from 'vitest';
import { writeTinyRun } from './tiny-run';

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/cli.js');

/** Run the built `harma` CLI in `cwd` (extra environment variables on top of this process's). */
export function runCli(args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, [cli, ...args], { cwd, env: { ...process.env, ...env } });
}

/**
 * For the enclosing `describe`: a temporary folder holding a tiny run exported by `harma export`
 * to `model/` (its synthetic gallery under `data/`), removed afterwards. Returns the folder's getter.
 */
export function exportedTinyModel(prefix: string): () => string {
  let dir: string | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), prefix));
    await writeTinyRun(dir);
    await runCli(['export', '--config', 'run.yaml', '--out', 'model', '--no-verify'], dir);
  });
  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });
  return () => {
    if (dir === undefined) throw new Error('exportedTinyModel: the folder exists only inside the tests of its describe');
    return dir;
  };
}
