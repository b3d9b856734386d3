import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, loadSafetensors } from '@harma/core';
import { loadTrainConfig } from '../src/config/load-config';
import { MetricsLog, type StepRecord } from '../src/train/metrics-log';
import { runTraining, type TrainRunResult } from '../src/train/run-training';
import { tensorsOf } from './tensors-of';
import { writeTinyRun } from './tiny-run';

// Real signals to a real `harma train` (the built CLI): what Ctrl-C in a terminal and `kill` do.
const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/cli.js');
const environment = { ...process.env, HARMA_LOG_LEVEL: 'warn' };
let dir: string;
let configFile: string;
let reference: TrainRunResult;
const started: ChildProcess[] = [];

beforeAll(async () => {
  await initBackend();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'harma-interrupt-'));
  configFile = await writeTinyRun(dir);
  reference = await runTraining(await loadTrainConfig(configFile, [`output=${path.join(dir, 'straight')}`]), { progress: false });
});
afterAll(async () => {
  // A failed test may leave a job running: end it before removing its folder.
  for (const child of started) if (child.exitCode === null && child.signalCode === null) process.kill(-(child.pid as number), 'SIGKILL');
  await fs.rm(dir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<{ code: number | null; at: number }>;
}

/** Start `harma train` in its own process group, as a shell starts a job. */
function train(args: readonly string[]): Started {
  const child = spawn(process.execPath, [cli, 'train', '--config', configFile, ...args, '--no-progress'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: environment, detached: true });
  started.push(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.on('exit', (code) => resolve({ code, at: performance.now() })));
  return { child, stderr: () => stderr, exited };
}

async function steps(output: string): Promise<StepRecord[]> {
  return (await new MetricsLog(path.join(output, 'metrics.jsonl')).read()).filter((r): r is StepRecord => r.type === 'step');
}

/** Whether any process of the job's group is still alive (the training process `harma train` started, say). */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Wait until the run has logged `count` steps (failing if it exits first). */
async function waitForSteps(output: string, count: number, run: Started): Promise<void> {
  const file = path.join(output, 'metrics.jsonl');
  for (;;) {
    const logged = existsSync(file) ? (await fs.readFile(file, 'utf8')).split('\n').filter((line) => line.includes('"type":"step"')).length : 0;
    if (logged >= count) return;
    if (run.child.exitCode !== null) throw new Error(`harma train exited early (${run.child.exitCode}): ${run.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function savedSteps(output: string): Promise<number> {
  const { metadata, tensors } = await loadSafetensors(path.join(output, 'state.safetensors'));
  for (const tensor of tensors.values()) tensor.dispose();
  return (JSON.parse(metadata.progress as string) as { globalStep: number }).globalStep;
}

/** Run a printed shell command in the test folder; resolves with its exit code and stderr. */
function runShell(command: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn('bash', ['-c', command], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: environment });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}

describe('harma train stopped by a signal', () => {
  it.each([
    // Ctrl-C in a terminal signals the whole job: `harma train` and the training process it supervises.
    ['SIGINT', 'to the process group', 5, 130, []],
    // `kill PID` signals `harma train` alone; with image-decoding workers and data-parallel step
    // threads, which the stop must end for the process to exit.
    ['SIGTERM', 'to harma train', 15, 143, ['--set', 'data.workers=2', '--set', 'training.threads=2']],
  ] as const)('%s %s: finishes the step, saves the state, prints the --resume command; resumed, the run equals the uninterrupted one', async (signal, _to, after, status, extra) => {
    const output = path.join(dir, `stopped-${signal}`);
    // No checkpoints but the epoch ends': what the stop itself saves is what resuming needs.
    const run = train(['--output', output, ...extra]);
    await waitForSteps(output, after, run);
    const pid = run.child.pid as number;
    process.kill(signal === 'SIGINT' ? -pid : pid, signal);
    const { code } = await run.exited;
    const stderr = run.stderr();
    expect(code, stderr).toBe(status);
    expect(groupAlive(pid)).toBe(false);
    const printed = /Continue it with:\n {2}(.+)\n/.exec(stderr)?.[1];
    expect(printed, stderr).toBeDefined();
    expect(printed).toContain(` train --config ${configFile} --output ${output} `);
    expect(printed).toMatch(/--resume$/);
    // Stopped part-way, with every logged step in the saved state: none lost, none half-applied.
    const logged = (await steps(output)).length;
    expect(logged).toBeGreaterThanOrEqual(after);
    expect(logged).toBeLessThan(reference.globalStep);
    expect(await savedSteps(output)).toBe(logged);
    expect(existsSync(path.join(output, 'summary.json'))).toBe(false);

    // The printed command, as printed, finishes the run to exactly the uninterrupted result.
    const resumed = await runShell(printed as string);
    expect(resumed.code, resumed.stderr).toBe(0);
    const straight = path.join(dir, 'straight');
    expect(await tensorsOf(path.join(output, 'last.safetensors'))).toEqual(await tensorsOf(path.join(straight, 'last.safetensors')));
    expect(await tensorsOf(path.join(output, 'best.safetensors'))).toEqual(await tensorsOf(path.join(straight, 'best.safetensors')));
    const summary = JSON.parse(await fs.readFile(path.join(output, 'summary.json'), 'utf8')) as { test: unknown; globalStep: number; bestEpoch: number };
    expect(summary.test).toEqual(reference.test?.metrics);
    expect(summary.bestEpoch).toBe(reference.bestEpoch);
    expect((await steps(output)).map((s) => [s.epoch, s.step, s.globalStep, s.loss])).toEqual((await steps(straight)).map((s) => [s.epoch, s.step, s.globalStep, s.loss]));
  });

  it('a second Ctrl-C quits at once, in the middle of a step, leaving the last saved state', async () => {
    // A model whose steps take seconds, so that the second Ctrl-C lands while one computes.
    const small = JSON.parse(await fs.readFile(path.join(dir, 'model.json'), 'utf8')) as { vision_cfg: object; text_cfg: object };
    const slow = {
      embed_dim: 128,
      vision_cfg: { ...small.vision_cfg, image_size: 64, patch_size: 8, width: 256, head_width: 64, layers: 4, mlp_ratio: 4 },
      text_cfg: { ...small.text_cfg, width: 256, heads: 4, layers: 4, mlp_ratio: 4 },
    };
    await fs.writeFile(path.join(dir, 'slow-model.json'), JSON.stringify(slow));
    const output = path.join(dir, 'quit');
    const run = train(['--output', output, '--set', 'backbone.config=slow-model.json', '--set', 'training.batchSize=64', '--checkpoint-every', '1']);
    await waitForSteps(output, 1, run);
    // The first step's state is saved right after its line; then the second step starts.
    const state = path.join(output, 'state.safetensors');
    while (!existsSync(state) || (await savedSteps(output)) < 1) await new Promise((resolve) => setTimeout(resolve, 10));
    const savedAt = statSync(state).mtimeMs;
    await new Promise((resolve) => setTimeout(resolve, 200));
    process.kill(-(run.child.pid as number), 'SIGINT');
    // Later than one Ctrl-C's copies (the terminal's and npm's), sooner than a step.
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(run.child.exitCode, run.stderr()).toBeNull();
    const second = performance.now();
    process.kill(-(run.child.pid as number), 'SIGINT');
    const { code, at } = await run.exited;
    const stderr = run.stderr();
    expect(code, stderr).toBe(130);
    expect(groupAlive(run.child.pid as number)).toBe(false);
    // At once: within 1.5 s, and on a machine so loaded that even that stretches, within half the
    // time this run's first step took — waiting for the step in progress would take longer still.
    const [firstStep] = await steps(output);
    const bound = Math.max(1500, 500 * (firstStep?.seconds ?? 0));
    expect(at - second, `exit after the second Ctrl-C, in ms (a step took ${firstStep?.seconds.toFixed(2)} s)`).toBeLessThan(bound);
    expect(stderr).toContain('the run stops after the step in progress');
    expect(stderr).toMatch(/quit at once; the run continues from its last saved state with:\n {2}.* train --config .*--resume\n/);
    expect(stderr).not.toContain('Continue it with');
    // The step in progress was dropped: one step logged, the state untouched since it was saved.
    expect((await steps(output)).length).toBe(1);
    expect(await savedSteps(output)).toBe(1);
    expect(statSync(state).mtimeMs).toBe(savedAt);
  });
});
