import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { writeTinyRun } from './tiny-run';

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/cli.js');
let dir: string;
let configs: string;
let work: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'harma-cwd-'));
  configs = path.join(dir, 'configs');
  work = path.join(dir, 'work');
  await fs.mkdir(configs);
  await fs.mkdir(path.join(work, 'ann'), { recursive: true });
  // The model config and vocabulary sit beside the config and are named relative to it; no output.
  const file = await writeTinyRun(configs, { training: { epochs: 1, batchSize: 16, lr: 5e-3, eps: 1e-6 } });
  const config = YAML.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
  delete config.output;
  await fs.writeFile(file, YAML.stringify(config));
  await fs.copyFile((config.data as { test: string }).test, path.join(work, 'ann', 'test.json'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function harma(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, HARMA_LOG_LEVEL: 'warn' } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('a config in one folder, harma run from another', () => {
  it('reads what the file names beside the file, and writes and reads what the command line names in the working directory', () => {
    const trained = harma(['train', '--config', '../configs/run.yaml', '--output', 'runs/here', '--no-progress']);
    expect(trained.status, trained.stderr).toBe(0);
    expect(existsSync(path.join(work, 'runs/here/best.safetensors'))).toBe(true);
    expect(existsSync(path.join(configs, 'runs'))).toBe(false);
    // The eval command reads the adapters and a test file given relative to the working directory.
    const evaluated = harma(['eval', '--config', '../configs/run.yaml', '--adapters', 'runs/here/best.safetensors', '--set', 'data.test=ann/test.json', '--json']);
    expect(evaluated.status, evaluated.stderr).toBe(0);
    expect((JSON.parse(evaluated.stdout) as Array<{ model: string }>).map((row) => row.model)).toEqual(['zero-shot', 'adapted']);
  });

  it('without --output, a run goes to runs/<name> in the working directory', () => {
    const trained = harma(['train', '--config', path.join(configs, 'run.yaml'), '--set', 'name=unnamed', '--no-progress']);
    expect(trained.status, trained.stderr).toBe(0);
    expect(existsSync(path.join(work, 'runs/unnamed/summary.json'))).toBe(true);
  });
});
