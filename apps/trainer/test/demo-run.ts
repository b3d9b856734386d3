import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { inject } from 'vitest';
import { runDemo, type DemoSummary } from '../src/demo/run-demo';
import { DEMO_TEST_PRESET } from '../src/demo/demo-preset';

/** How long a test file waits for another one's demo run before giving up. */
const LOCK_WAIT_MS = 600_000;

export interface DemoRun {
  /** The demo's output folder (`summary.json`, `model/`, the runs, the data sets). */
  dir: string;
  summary: DemoSummary;
}

/**
 * The miniature demo (`DEMO_TEST_PRESET`), run once per `vitest run` however many test files ask
 * for it: the first caller runs it in a folder the global setup made, the others (in other worker
 * processes) wait on a lock folder and read its `summary.json`. Files stay independent: each one
 * run alone runs the demo itself.
 */
export async function sharedDemoRun(): Promise<DemoRun> {
  const dir = path.join(inject('demoRunRoot'), 'demo');
  const lock = path.join(inject('demoRunRoot'), 'demo.lock');
  const summaryFile = path.join(dir, 'summary.json');
  const started = Date.now();
  // mkdir is atomic: exactly one process holds the lock.
  for (;;) {
    try {
      await fs.mkdir(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (Date.now() - started > LOCK_WAIT_MS) throw new Error(`sharedDemoRun: ${lock} still held after ${LOCK_WAIT_MS / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    if (existsSync(summaryFile)) return { dir, summary: JSON.parse(await fs.readFile(summaryFile, 'utf8')) as DemoSummary };
    return { dir, summary: await runDemo({ output: dir, preset: DEMO_TEST_PRESET, progress: false }) };
  } finally {
    await fs.rm(lock, { recursive: true, force: true });
  }
}
