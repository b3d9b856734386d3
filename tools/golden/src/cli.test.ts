import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors, type HostTensor } from '@harma/core';
import { fixturePath } from '@harma/test-support';

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/cli.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run golden -- target` as a user runs it: the built CLI in a fresh process, on cpu. */
function golden(target: string): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.HARMA_BACKEND;
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, target], { env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The summary line the CLI prints last. */
function summaryOf(run: Run): string {
  return run.stdout.trim().split('\n').at(-1) ?? '';
}

let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'harma-golden-cli-'));
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** A copy of a model fixture whose outputs.safetensors is edited; the other files are linked. */
async function modelFixtureCopy(name: string, copy: string, edit: (outputs: Map<string, HostTensor>) => void): Promise<string> {
  const source = fixturePath('golden', name);
  const target = path.join(dir, copy);
  await fs.mkdir(target);
  for (const file of ['config.json', 'inputs.safetensors', 'weights.safetensors']) await fs.symlink(path.join(source, file), path.join(target, file));
  const { tensors } = await readSafetensors(path.join(source, 'outputs.safetensors'));
  edit(tensors);
  await writeSafetensors(path.join(target, 'outputs.safetensors'), tensors);
  return target;
}

/** A copy of a JSON fixture file (with the files beside it linked), edited. */
async function jsonFixtureCopy(source: string, copy: string, edit: (json: Record<string, unknown>) => void): Promise<string> {
  const target = path.join(dir, copy);
  await fs.mkdir(target);
  for (const file of await fs.readdir(path.dirname(source))) {
    if (file !== path.basename(source)) await fs.symlink(path.join(path.dirname(source), file), path.join(target, file));
  }
  const json = JSON.parse(await fs.readFile(source, 'utf8')) as Record<string, unknown>;
  edit(json);
  const file = path.join(target, path.basename(source));
  await fs.writeFile(file, JSON.stringify(json));
  return target;
}

describe('npm run golden (the built CLI) exits 0 only when every entry is computed and within tolerance', () => {
  it('a good model fixture: exit 0', async () => {
    const run = await golden(fixturePath('golden', 'tiny-quickgelu'));
    expect(run.stderr).not.toMatch(/harma-golden:/);
    expect(summaryOf(run)).toMatch(/: \d+ ok, 0 off tolerance, 0 not computed yet$/);
    expect(run.code).toBe(0);
  });

  it('a model fixture whose outputs lack one the project computes: exit 1', async () => {
    const target = await modelFixtureCopy('tiny-quickgelu', 'missing-output', (outputs) => outputs.delete('loss_total'));
    const run = await golden(target);
    expect(run.stdout).toMatch(/OFF +loss_total +computed but absent from outputs\.safetensors/);
    expect(summaryOf(run)).toMatch(/: \d+ ok, 1 off tolerance, 0 not computed yet$/);
    expect(run.code).toBe(1);
  });

  it('a model fixture with an output nothing computes: exit 1', async () => {
    const target = await modelFixtureCopy('tiny-quickgelu', 'not-computed', (outputs) => {
      outputs.set('image_tokens_block9', outputs.get('image_tokens_block1') as HostTensor);
    });
    const run = await golden(target);
    expect(run.stdout).toMatch(/n\/a +image_tokens_block9 +not computed yet: needs HarMA forward/);
    expect(summaryOf(run)).toMatch(/: \d+ ok, 0 off tolerance, 1 not computed yet$/);
    expect(run.code).toBe(1);
  });

  it('an augment fixture with an expected tensor no case explains: exit 1', async () => {
    const target = await jsonFixtureCopy(fixturePath('golden', 'augment', 'cases.json'), 'augment', (json) => {
      (json.cases as unknown[]).splice(0, 1);
    });
    const run = await golden(target);
    expect(run.stdout).toMatch(/n\/a .*expected tensor without a case in cases\.json/);
    expect(summaryOf(run)).toMatch(/: \d+ ok, 0 off tolerance, 1 not computed yet$/);
    expect(run.code).toBe(1);
  });

  it('the metrics cases: exit 0; without a tie rule: exit 1; with a figure changed: exit 1', async () => {
    const cases = fixturePath('golden', 'metrics', 'cases.json');
    const good = await golden(cases);
    expect(summaryOf(good)).toMatch(/: \d+ ok, 0 off tolerance, 0 not computed yet$/);
    expect(good.code).toBe(0);

    type Case = { tie_order_dependent?: boolean; tie_rules?: Record<string, unknown>; expected: Record<string, number> };
    const withoutRule = await jsonFixtureCopy(cases, 'metrics-without-rule', (json) => {
      const dependent = (json.cases as Case[]).find((entry) => entry.tie_order_dependent) as Case;
      delete dependent.tie_rules?.ties_lower_index_first;
    });
    const notComputed = await golden(path.join(withoutRule, 'cases.json'));
    expect(summaryOf(notComputed)).toMatch(/: \d+ ok, 0 off tolerance, 1 not computed yet$/);
    expect(notComputed.code).toBe(1);

    const changed = await jsonFixtureCopy(cases, 'metrics-changed', (json) => {
      const first = (json.cases as Case[])[0] as Case;
      first.expected.r_mean = (first.expected.r_mean as number) + 0.01;
    });
    const off = await golden(path.join(changed, 'cases.json'));
    // A case without ties is checked under all three tie rules: its r_mean is off under each.
    expect(summaryOf(off)).toMatch(/: \d+ ok, 3 off tolerance, 0 not computed yet$/);
    expect(off.code).toBe(1);
  });

  it('a path that is no fixture: exit 2 with the reason', async () => {
    const run = await golden(path.join(dir, 'nothing-here'));
    expect(run.stderr).toMatch(/^harma-golden: .*nothing-here: no such file or directory/);
    expect(run.code).toBe(2);
  });
});
