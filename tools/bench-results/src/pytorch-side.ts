import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePytorchLine, type PytorchMeasurement } from './pytorch-line';

/**
 * DESIGN.md's "Measured anchors": the official PyTorch 1.13 (Debian) on this machine kind's CPU,
 * ViT-B/32 with HarMA adapters, 2 threads.
 */
export const DESIGN_PYTORCH_ANCHORS = {
  /** Seconds of one training step at batch 32. */
  stepSeconds: 12.4,
  stepBatch: 32,
  /** Peak RSS of that step's process, GiB. */
  peakRssGib: 4.1,
  imagesPerSecond: 11,
  /** 77-token captions a second. */
  captionsPerSecond: 10.6,
  /** A plain 1600×768×3072 float32 matmul on 2 threads (170–200). */
  matmulGflops: 185,
} as const;

/** What the DESIGN.md figures are called where they are printed and recorded. */
export const DESIGN_ANCHOR_SOURCE = 'DESIGN.md anchor';

/** Parts of the PyTorch script: training steps (and their peak RSS), encoding rates, the matmul. */
export type PytorchPart = 'step' | 'encode' | 'matmul';

/** A PyTorch figure a bench compares with, and where it comes from. */
export interface PytorchFigure {
  value: number;
  /** `PyTorch 1.13 in this run`, `DESIGN.md anchor` or `DESIGN.md anchor, scaled from batch 32`. */
  source: string;
}

/** The PyTorch training step at one batch size. */
export interface PytorchStep {
  batch: number;
  /** Median seconds of a step. */
  seconds: PytorchFigure;
  /** Seconds of each step measured in this run (empty for DESIGN.md's). */
  timedSeconds: number[];
  /** Peak RSS after the step, GiB; null where nothing was measured (DESIGN.md has batch 32 only). */
  peakRssGib: PytorchFigure | null;
}

/** The PyTorch figures a bench compares against, measured in this run or DESIGN.md's. */
export interface PytorchSide {
  /** True when the script ran and its figures are used. */
  measured: boolean;
  /** One sentence to print: which figures are used and why (and what to do when the set-up is broken). */
  note: string;
  /** Training steps measured in this run, by batch (empty when none were); see `pytorchStep`. */
  steps: PytorchStep[];
  imagesPerSecond: PytorchFigure;
  captionsPerSecond: PytorchFigure;
  matmulGflops: PytorchFigure;
}

export interface PytorchSideOptions {
  /** Which figures to measure; the others come from DESIGN.md. Default: all three parts. */
  parts?: readonly PytorchPart[];
  /** Where `HARMA_OFFICIAL_CODE` is read. Default: `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Python interpreters to try, in order; the first that imports torch runs the script. Default:
   * `python3` on the PATH, then `/usr/bin/python3` (where Debian's python3-torch installs, which a
   * pyenv `python3` does not see).
   */
  pythons?: readonly string[];
  /** The script. Default: this package's `pytorch/pytorch_anchor.py`. */
  script?: string;
  /** More arguments for the script (e.g. `['--steps', '1']`). Default: none. */
  scriptArguments?: readonly string[];
  /** PyTorch threads. Default: 2, as DESIGN.md's anchors. */
  threads?: number;
  /** Milliseconds before the script is stopped and the anchors used. Default: 30 minutes. */
  timeoutMs?: number;
  /** Called with each line the script writes to stderr (its progress) as it comes. Default: none. */
  progress?: (line: string) => void;
}

interface ScriptRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  /** Why it did not run or was stopped, if it was. */
  error?: string;
  stdout: string;
  /** The last non-empty line of its stderr. */
  lastError: string;
}

/** Runs `command` to its end (or `timeoutMs`), passing each stderr line to `progress` as it comes. */
function runScript(command: string, args: readonly string[], timeoutMs: number, progress?: (line: string) => void): Promise<ScriptRun> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let pending = '';
    let lastError = '';
    let error: string | undefined;
    const take = (line: string): void => {
      if (!line.trim()) return;
      lastError = line.trim();
      progress?.(lastError);
    };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      lines.forEach(take);
    });
    const timer = setTimeout(() => {
      error = `stopped after ${(timeoutMs / 1000).toFixed(1)} s`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (spawnError) => (error = spawnError.message));
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      take(pending);
      resolve({ status, signal, stdout, lastError, ...(error ? { error } : {}) });
    });
  });
}

const VARIABLE = 'HARMA_OFFICIAL_CODE';
const DEFAULT_PARTS: readonly PytorchPart[] = ['step', 'encode', 'matmul'];
const GIB = 2 ** 30;

/** `pytorch/pytorch_anchor.py` beside `src/` and `dist/` alike. */
export function pytorchScript(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'pytorch', 'pytorch_anchor.py');
}

const lastLine = (text: string | null | undefined): string =>
  (text ?? '')
    .trim()
    .split('\n')
    .pop()
    ?.trim() ?? '';

const anchor = (value: number): PytorchFigure => ({ value, source: DESIGN_ANCHOR_SOURCE });

/** DESIGN.md's figures, with a sentence saying why they are used. */
export function designAnchors(reason: string): PytorchSide {
  return {
    measured: false,
    note: `PyTorch side: DESIGN.md's anchors, because ${reason}`,
    steps: [],
    imagesPerSecond: anchor(DESIGN_PYTORCH_ANCHORS.imagesPerSecond),
    captionsPerSecond: anchor(DESIGN_PYTORCH_ANCHORS.captionsPerSecond),
    matmulGflops: anchor(DESIGN_PYTORCH_ANCHORS.matmulGflops),
  };
}

/**
 * The PyTorch step at `batch`: measured in this run when it was, else DESIGN.md's batch-32 step
 * scaled linearly (its peak RSS only at batch 32).
 */
export function pytorchStep(side: PytorchSide, batch: number): PytorchStep {
  const measured = side.steps.find((step) => step.batch === batch);
  if (measured) return measured;
  const { stepSeconds, stepBatch, peakRssGib } = DESIGN_PYTORCH_ANCHORS;
  return {
    batch,
    seconds: { value: (stepSeconds * batch) / stepBatch, source: batch === stepBatch ? DESIGN_ANCHOR_SOURCE : `${DESIGN_ANCHOR_SOURCE}, scaled from batch ${stepBatch}` },
    timedSeconds: [],
    peakRssGib: batch === stepBatch ? anchor(peakRssGib) : null,
  };
}

/** The figures of a successful script run: measured parts from it, the rest from DESIGN.md. */
export function measuredSide(measurement: PytorchMeasurement, parts: readonly PytorchPart[], detail: string): PytorchSide {
  const version = measurement.torch.split('.').slice(0, 2).join('.');
  const source = `PyTorch ${version} in this run`;
  const figure = (value: number | undefined, name: string, part: PytorchPart): PytorchFigure | undefined => {
    if (!parts.includes(part)) return undefined;
    if (value === undefined) throw new Error(`its line has no ${name}`);
    return { value, source };
  };
  const steps = parts.includes('step') ? (measurement.steps ?? []) : [];
  if (parts.includes('step') && steps.length === 0) throw new Error('its line has no training steps');
  const measuredParts = parts.join(', ');
  // Debian's python3-torch links the libblas.so.3 its alternatives choose: the reference one unless an OpenBLAS is installed.
  const referenceBlas = measurement.blas !== undefined && !/openblas|mkl|blis|atlas/i.test(measurement.blas);
  const blas = measurement.blas ? `, BLAS ${measurement.blas}${referenceBlas ? ' — the reference BLAS, tens of times slower: apt-get install libopenblas0-openmp' : ''}` : '';
  return {
    measured: true,
    note: `PyTorch side: PyTorch ${measurement.torch} in this run (${measuredParts}; ${measurement.threads} threads${blas}; ${detail})`,
    steps: steps.map((step) => ({
      batch: step.batch,
      seconds: { value: step.medianSeconds, source },
      timedSeconds: step.seconds,
      peakRssGib: { value: step.peakRssBytes / GIB, source },
    })),
    imagesPerSecond: figure(measurement.imagesPerSecond, 'imagesPerSecond', 'encode') ?? anchor(DESIGN_PYTORCH_ANCHORS.imagesPerSecond),
    captionsPerSecond: figure(measurement.captionsPerSecond, 'captionsPerSecond', 'encode') ?? anchor(DESIGN_PYTORCH_ANCHORS.captionsPerSecond),
    matmulGflops: figure(measurement.matmulGflops, 'matmulGflops', 'matmul') ?? anchor(DESIGN_PYTORCH_ANCHORS.matmulGflops),
  };
}

/**
 * The PyTorch side of a bench. With `HARMA_OFFICIAL_CODE` set to the official HarMA code's folder
 * and a Python that imports torch, runs `pytorch/pytorch_anchor.py` in its own process (call it
 * before or after the bench's own measurements, never during them) and returns its figures;
 * otherwise DESIGN.md's anchors with a sentence saying why. Never throws: a broken set-up is a
 * sentence naming the variable and what to do.
 */
export async function pytorchSide(options: PytorchSideOptions = {}): Promise<PytorchSide> {
  const env = options.env ?? process.env;
  const parts = options.parts ?? DEFAULT_PARTS;
  const folder = env[VARIABLE]?.trim();
  if (!folder) {
    return designAnchors(
      `${VARIABLE} is unset (to measure PyTorch in this run, set it to a checkout of the official HarMA code, github seekerhuang/HarMA, with Debian's python3-torch installed).`,
    );
  }
  if (!existsSync(folder)) return designAnchors(`${VARIABLE}=${folder} does not exist: set it to a checkout of the official HarMA code (github seekerhuang/HarMA), or unset it.`);
  if (!existsSync(path.join(folder, 'open_clip', 'model.py'))) {
    return designAnchors(`${VARIABLE}=${folder} is not the official HarMA code (it has no open_clip/model.py): set it to a checkout of github seekerhuang/HarMA, or unset it.`);
  }
  const tried: string[] = [];
  let python: string | undefined;
  for (const candidate of options.pythons ?? ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(candidate, ['-c', 'import torch'], { encoding: 'utf8', timeout: 120_000 });
    if (probe.status === 0) {
      python = candidate;
      break;
    }
    tried.push(`${candidate}: ${probe.error ? probe.error.message : lastLine(probe.stderr) || `exit ${probe.status}`}`);
  }
  if (!python) {
    return designAnchors(
      `${VARIABLE} is set but no Python here imports torch (${tried.join('; ')}): install Debian's python3-torch and an OpenBLAS (apt-get install python3-torch libopenblas0-openmp), or unset ${VARIABLE}.`,
    );
  }
  const script = options.script ?? pytorchScript();
  const args = [script, folder, '--threads', String(options.threads ?? 2), '--parts', parts.join(','), ...(options.scriptArguments ?? [])];
  const started = performance.now();
  const run = await runScript(python, args, options.timeoutMs ?? 30 * 60_000, options.progress);
  const seconds = (performance.now() - started) / 1000;
  const rerun = `run \`${[python, ...args].join(' ')}\` to see all of its output`;
  if (run.error || run.status !== 0) {
    const why = run.error ?? `exit ${run.status ?? run.signal}`;
    return designAnchors(`the PyTorch script failed with ${VARIABLE}=${folder} (${why}): ${run.lastError || 'no error output'}; ${rerun}.`);
  }
  try {
    return measuredSide(parsePytorchLine(run.stdout), parts, `${python}, ${VARIABLE}=${folder}, ${seconds.toFixed(0)} s`);
  } catch (error) {
    return designAnchors(`the PyTorch script's output could not be read with ${VARIABLE}=${folder}: ${(error as Error).message}; ${rerun}.`);
  }
}
