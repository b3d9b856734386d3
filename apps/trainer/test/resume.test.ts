import { spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@harma/core';
import { evaluateCommand } from '../src/commands/evaluate';
import { loadTrainConfig } from '../src/config/load-config';
import { MetricsLog } from '../src/train/metrics-log';
import { runTraining } from '../src/train/run-training';
import { tensorsOf } from './tensors-of';
import { writeTinyResNetRun, writeTinyRun } from './tiny-run';

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/cli.js');
let dir: string;
let configFile: string;

beforeAll(async () => {
  await initBackend();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'harma-resume-'));
  configFile = await writeTinyRun(dir);
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/**
 * Start `harma train` in a child process and SIGKILL it once `count` steps are logged — its whole
 * process group, as closing a terminal or `kill -9` of a job does: `harma train` and the training
 * process it supervises.
 */
async function trainAndKill(output: string, count: number, config = configFile): Promise<number> {
  const child = spawn(process.execPath, [cli, 'train', '--config', config, '--output', output, '--checkpoint-every', '2', '--no-progress'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, HARMA_LOG_LEVEL: 'warn' },
    detached: true,
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const log = new MetricsLog(path.join(output, 'metrics.jsonl'));
  for (;;) {
    const steps = existsSync(log.file) ? (await fs.readFile(log.file, 'utf8')).split('\n').filter(Boolean).length : 0;
    if (steps >= count) break;
    if (child.exitCode !== null) throw new Error(`harma train exited early (${child.exitCode}): ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  process.kill(-(child.pid as number), 'SIGKILL');
  await exited;
  return (await log.read()).filter((r) => r.type === 'step').length;
}

describe('harma train --resume after a kill', () => {
  it('continues to exactly the result of an uninterrupted run', async () => {
    const straight = await loadTrainConfig(configFile, [`output=${path.join(dir, 'straight')}`]);
    const reference = await runTraining(straight, { progress: false });
    expect(reference.completed).toBe(true);

    const killedDir = path.join(dir, 'killed');
    const logged = await trainAndKill(killedDir, 5);
    expect(logged).toBeGreaterThanOrEqual(5);
    expect(existsSync(path.join(killedDir, 'state.safetensors'))).toBe(true);
    expect(existsSync(path.join(killedDir, 'summary.json'))).toBe(false);

    const resumedConfig = await loadTrainConfig(configFile, [`output=${killedDir}`]);
    await expect(runTraining(resumedConfig, { progress: false })).rejects.toThrow(/--resume/);
    const resumed = await runTraining(resumedConfig, { resume: true, progress: false });
    expect(resumed.globalStep).toBe(reference.globalStep);
    expect(resumed.test?.metrics).toEqual(reference.test?.metrics);
    expect(await tensorsOf(path.join(killedDir, 'last.safetensors'))).toEqual(await tensorsOf(path.join(dir, 'straight', 'last.safetensors')));
    expect(await tensorsOf(path.join(killedDir, 'best.safetensors'))).toEqual(await tensorsOf(path.join(dir, 'straight', 'best.safetensors')));
    // The log holds each step once, numbered from 1 as on the screen.
    const steps = (await new MetricsLog(path.join(killedDir, 'metrics.jsonl')).read()).filter((r) => r.type === 'step').map((r) => r.globalStep);
    expect(steps).toEqual(Array.from({ length: reference.globalStep }, (_, i) => i + 1));
  });

  it('refuses to resume a run whose settings changed', async () => {
    const changed = await loadTrainConfig(configFile, [`output=${path.join(dir, 'straight')}`, 'training.lr=1e-2']);
    await expect(runTraining(changed, { resume: true, progress: false })).rejects.toThrow(/saved by a run with other settings/);
  });
});

describe('harma train --resume on a CLIP ResNet (BatchNorm running statistics in the state)', () => {
  it('continues to exactly the result of an uninterrupted run, running statistics included', async () => {
    const resnetDir = path.join(dir, 'resnet');
    await fs.mkdir(resnetDir);
    // The tiny run's text tower, with a one-Bottleneck-per-stage ResNet image tower.
    const config = await writeTinyResNetRun(resnetDir);

    const straight = await runTraining(await loadTrainConfig(config, [`output=${path.join(resnetDir, 'straight')}`]), { progress: false });
    expect(straight.completed).toBe(true);
    const killedDir = path.join(resnetDir, 'killed');
    expect(await trainAndKill(killedDir, 5, config)).toBeGreaterThanOrEqual(5);
    const resumed = await runTraining(await loadTrainConfig(config, [`output=${killedDir}`]), { resume: true, progress: false });
    expect(resumed.globalStep).toBe(straight.globalStep);
    expect(resumed.test?.metrics).toEqual(straight.test?.metrics);
    expect(await tensorsOf(path.join(killedDir, 'best.safetensors'))).toEqual(await tensorsOf(path.join(resnetDir, 'straight', 'best.safetensors')));
    // The final state holds every running statistic, updated once per step, equal in both runs.
    const states = await Promise.all([tensorsOf(path.join(killedDir, 'state.safetensors')), tensorsOf(path.join(resnetDir, 'straight', 'state.safetensors'))]);
    const buffers = (state: Map<string, number[]>): Array<[string, number[]]> => [...state].filter(([name]) => name.startsWith('buffer/'));
    expect(buffers(states[0]).length).toBe(3 * (3 + 4 * 3 + 4));
    expect(buffers(states[0])).toEqual(buffers(states[1]));
    expect(states[0].get('buffer/visual.layer4.0.bn3.num_batches_tracked')).toEqual([straight.globalStep]);
    // best.safetensors holds the running statistics of its epoch with the adapters: `harma eval
    // --adapters best.safetensors` on a fresh model gives exactly the run's test figures.
    const best = await tensorsOf(path.join(resnetDir, 'straight', 'best.safetensors'));
    expect([...best.keys()].filter((name) => name.includes('.running_') || name.endsWith('num_batches_tracked'))).toHaveLength(3 * (3 + 4 * 3 + 4));
    expect(best.get('visual.bn1.num_batches_tracked')?.[0]).toBeLessThanOrEqual(straight.globalStep);
    const [row] = await evaluateCommand(await loadTrainConfig(config, [`output=${path.join(resnetDir, 'straight')}`]), { adapters: path.join(resnetDir, 'straight', 'best.safetensors'), zeroShot: false });
    expect(row?.evaluation.metrics).toEqual(straight.test?.metrics);
  });
});
