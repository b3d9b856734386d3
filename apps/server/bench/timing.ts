import { readFileSync } from 'node:fs';

/** The p-th percentile of ascending `sorted` (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Milliseconds of each of `count` sequential calls of `run`, ascending. */
export async function timeEach(count: number, run: (i: number) => unknown): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = process.hrtime.bigint();
    await run(i);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return times.sort((a, b) => a - b);
}

export function rssMiB(): number {
  return process.memoryUsage().rss / 2 ** 20;
}

/**
 * Peak resident memory of this process so far, in MiB: Linux's VmHWM, which starts afresh at exec
 * (`resourceUsage().maxRSS`, the fallback elsewhere, keeps the high-water mark of the parent that
 * spawned the process, so a child of a big bench process would report the parent's peak).
 */
export function peakRssMiB(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match !== null) return Number(match[1]) / 1024;
  } catch {
    // Not Linux: no /proc.
  }
  return process.resourceUsage().maxRSS / 1024;
}
