import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DESIGN_ANCHOR_SOURCE, DESIGN_PYTORCH_ANCHORS, pytorchSide, pytorchStep, type PytorchSide } from '../src/index';
import { pytorchScript } from '../src/pytorch-side';

// The variable's name is spelt once here; every case passes its own environment.
const VARIABLE = 'HARMA_OFFICIAL_CODE';
const scratch = (): string => mkdtempSync(path.join(os.tmpdir(), 'pytorch-side-'));

/** A folder that looks like the official code: the one file the check reads. */
function officialCode(): string {
  const folder = scratch();
  mkdirSync(path.join(folder, 'open_clip'));
  writeFileSync(path.join(folder, 'open_clip', 'model.py'), '# stand-in\n');
  return folder;
}

/**
 * A fake `python3`: a shell script that answers `-c 'import torch'` with `probe` (exit code and
 * stderr) and runs the bench script as `body`, recording its arguments in `<dir>/args`.
 */
function fakePython(body: string, probe = 'exit 0'): { python: string; args: string } {
  const dir = scratch();
  const python = path.join(dir, 'python3');
  const args = path.join(dir, 'args');
  writeFileSync(python, `#!/bin/sh\nif [ "$1" = "-c" ]; then ${probe}; fi\necho "$@" > ${args}\n${body}\n`);
  chmodSync(python, 0o755);
  return { python, args };
}

const GOOD_LINE = JSON.stringify({
  torch: '1.13.0a0',
  threads: 2,
  matmulGflops: 190.5,
  blas: '/usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3',
  steps: [
    { batch: 8, seconds: [3.1, 3.2, 3.0], medianSeconds: 3.1, peakRssBytes: 2 * 2 ** 30 },
    { batch: 32, seconds: [12.0, 12.2, 11.9], medianSeconds: 12.0, peakRssBytes: 4 * 2 ** 30 },
  ],
  imagesPerSecond: 11.5,
  captionsPerSecond: 10.2,
});

function expectDesignAnchors(side: PytorchSide): void {
  expect(side.measured).toBe(false);
  expect(side.steps).toEqual([]);
  expect(side.imagesPerSecond).toEqual({ value: 11, source: DESIGN_ANCHOR_SOURCE });
  expect(side.captionsPerSecond).toEqual({ value: 10.6, source: DESIGN_ANCHOR_SOURCE });
  expect(side.matmulGflops).toEqual({ value: 185, source: DESIGN_ANCHOR_SOURCE });
  expect(side.note).toMatch(/^PyTorch side: DESIGN\.md's anchors, because /);
}

describe('pytorchSide falls back to DESIGN.md with a sentence saying why', () => {
  it('when the variable is unset or empty', async () => {
    for (const env of [{}, { [VARIABLE]: '' }, { [VARIABLE]: '  ' }]) {
      const side = await pytorchSide({ env, pythons: ['/nonexistent/python3'] });
      expectDesignAnchors(side);
      expect(side.note).toContain(`${VARIABLE} is unset (to measure PyTorch in this run, set it to a checkout of the official HarMA code`);
    }
  });

  it('when the folder is missing or is not the official code', async () => {
    const missing = path.join(scratch(), 'HarMA');
    let side = await pytorchSide({ env: { [VARIABLE]: missing } });
    expectDesignAnchors(side);
    expect(side.note).toContain(`${VARIABLE}=${missing} does not exist: set it to a checkout of the official HarMA code`);
    const other = scratch();
    side = await pytorchSide({ env: { [VARIABLE]: other } });
    expectDesignAnchors(side);
    expect(side.note).toContain(`${VARIABLE}=${other} is not the official HarMA code (it has no open_clip/model.py)`);
  });

  it('when no Python imports torch, naming each one tried and what to install', async () => {
    const { python } = fakePython('exit 0', `echo "ModuleNotFoundError: No module named 'torch'" >&2; exit 1`);
    const side = await pytorchSide({ env: { [VARIABLE]: officialCode() }, pythons: [python, '/nonexistent/python3'] });
    expectDesignAnchors(side);
    expect(side.note).toContain(`${VARIABLE} is set but no Python here imports torch (${python}: ModuleNotFoundError: No module named 'torch'; /nonexistent/python3: spawnSync /nonexistent/python3 ENOENT)`);
    expect(side.note).toContain("install Debian's python3-torch and an OpenBLAS (apt-get install python3-torch libopenblas0-openmp)");
  });

  it('when the script fails, with the last line of its stderr and the command to rerun', async () => {
    const { python } = fakePython(`echo 'Traceback (most recent call last):' >&2; echo 'RuntimeError: official code changed' >&2; exit 3`);
    const folder = officialCode();
    const side = await pytorchSide({ env: { [VARIABLE]: folder }, pythons: [python], script: '/x/pytorch_anchor.py' });
    expectDesignAnchors(side);
    expect(side.note).toContain(`the PyTorch script failed with ${VARIABLE}=${folder} (exit 3): RuntimeError: official code changed; run \`${python} /x/pytorch_anchor.py ${folder} --threads 2 --parts step,encode,matmul\``);
  });

  it('when the script outlives its time', async () => {
    const { python } = fakePython('exec sleep 20');
    const side = await pytorchSide({ env: { [VARIABLE]: officialCode() }, pythons: [python], timeoutMs: 300 });
    expectDesignAnchors(side);
    expect(side.note).toMatch(/the PyTorch script failed with .*\(stopped after 0\.3 s\)/);
  });

  it('when the script prints no figures, or not those asked for', async () => {
    let { python } = fakePython(`echo 'Segmentation fault (core dumped)'`);
    let side = await pytorchSide({ env: { [VARIABLE]: officialCode() }, pythons: [python] });
    expectDesignAnchors(side);
    expect(side.note).toContain("the PyTorch script's output could not be read");
    expect(side.note).toContain('its last line is not JSON: Segmentation fault (core dumped)');
    ({ python } = fakePython(`echo '{"torch": "1.13.0a0", "threads": 2, "matmulGflops": 190}'`));
    side = await pytorchSide({ env: { [VARIABLE]: officialCode() }, pythons: [python], parts: ['encode'] });
    expectDesignAnchors(side);
    expect(side.note).toContain('its line has no imagesPerSecond');
  });
});

describe('pytorchSide with the script working', () => {
  it("uses its figures, says so, and passes the folder, 2 threads and the parts", async () => {
    const { python, args } = fakePython(`echo 'model built' >&2; echo 'progress on stdout'; printf 'batch 8: 3.1 s\\n\\nbatch 32' >&2; echo '${GOOD_LINE}'`);
    const folder = officialCode();
    const progress: string[] = [];
    const side = await pytorchSide({
      env: { [VARIABLE]: folder },
      pythons: ['/nonexistent/python3', python],
      script: '/x/pytorch_anchor.py',
      scriptArguments: ['--steps', '1'],
      progress: (line) => progress.push(line),
    });
    expect(progress).toEqual(['model built', 'batch 8: 3.1 s', 'batch 32']);
    expect(readFileSync(args, 'utf8').trim()).toBe(`/x/pytorch_anchor.py ${folder} --threads 2 --parts step,encode,matmul --steps 1`);
    expect(side.measured).toBe(true);
    const source = 'PyTorch 1.13 in this run';
    expect(side.imagesPerSecond).toEqual({ value: 11.5, source });
    expect(side.captionsPerSecond).toEqual({ value: 10.2, source });
    expect(side.matmulGflops).toEqual({ value: 190.5, source });
    expect(pytorchStep(side, 8)).toEqual({ batch: 8, seconds: { value: 3.1, source }, timedSeconds: [3.1, 3.2, 3.0], peakRssGib: { value: 2, source } });
    expect(pytorchStep(side, 32)).toEqual({ batch: 32, seconds: { value: 12, source }, timedSeconds: [12.0, 12.2, 11.9], peakRssGib: { value: 4, source } });
    expect(side.note).toMatch(new RegExp(`^PyTorch side: PyTorch 1\\.13\\.0a0 in this run \\(step, encode, matmul; 2 threads, BLAS /usr/lib/x86_64-linux-gnu/openblas-openmp/libblas\\.so\\.3; ${python.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, ${VARIABLE}=.*, \\d+ s\\)$`));
  });

  it('warns when torch runs on the reference BLAS', async () => {
    const { python } = fakePython(`echo '{"torch": "1.13.0a0", "threads": 2, "matmulGflops": 4, "blas": "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3"}'`);
    const side = await pytorchSide({ env: { [VARIABLE]: officialCode() }, pythons: [python], parts: ['matmul'] });
    expect(side.note).toContain('BLAS /usr/lib/x86_64-linux-gnu/blas/libblas.so.3 — the reference BLAS, tens of times slower: apt-get install libopenblas0-openmp;');
    expect(side.matmulGflops.value).toBe(4);
  });

  it('takes from DESIGN.md what it was not asked to measure', async () => {
    const { python, args } = fakePython(`echo '{"torch": "2.1.0", "threads": 2, "matmulGflops": 150, "imagesPerSecond": 9, "captionsPerSecond": 8}'`);
    const side = await pytorchSide({ env: { [VARIABLE]: officialCode() }, pythons: [python], parts: ['matmul'] });
    expect(readFileSync(args, 'utf8')).toContain('--parts matmul');
    expect(side.measured).toBe(true);
    expect(side.matmulGflops).toEqual({ value: 150, source: 'PyTorch 2.1 in this run' });
    expect(side.imagesPerSecond).toEqual({ value: 11, source: DESIGN_ANCHOR_SOURCE });
    expect(side.steps).toEqual([]);
  });
});

describe('pytorchStep', () => {
  it("scales DESIGN.md's batch-32 step to other batches, its peak RSS only at batch 32", async () => {
    const side = await pytorchSide({ env: {} });
    expect(pytorchStep(side, 32)).toEqual({ batch: 32, seconds: { value: 12.4, source: DESIGN_ANCHOR_SOURCE }, timedSeconds: [], peakRssGib: { value: 4.1, source: DESIGN_ANCHOR_SOURCE } });
    expect(pytorchStep(side, 8)).toEqual({ batch: 8, seconds: { value: 3.1, source: 'DESIGN.md anchor, scaled from batch 32' }, timedSeconds: [], peakRssGib: null });
    expect(DESIGN_PYTORCH_ANCHORS.stepBatch).toBe(32);
  });

  it('the bundled script is where pytorchSide runs it from', () => {
    expect(readFileSync(pytorchScript(), 'utf8')).toContain('def main():');
  });
});
