import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

/** The built CLI the child-process tests run (`npx tsup` in apps/server first). */
export const CLI = path.resolve(__dirname, '../../dist/cli.js');

/** How a `harma-server` child process ended, with its JSON log lines. */
export interface ChildRun {
  /** `done` of the progress line that triggered the signal (-1: none sent). */
  doneAtSignal: number;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  lines: Array<Record<string, unknown>>;
}

export interface RunCliOptions {
  /** Added to this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** Send this signal once the child has logged indexing progress of at least `after` images. */
  signal?: { name: NodeJS.Signals; after: number };
  /** Kill the child and fail after this long. Default: 180 s. */
  timeoutMs?: number;
}

/** Run `harma-server <args>` in a child process (log level info, JSON lines on stderr) and collect how it ended. */
export function runCli(args: string[], options: RunCliOptions = {}): Promise<ChildRun> {
  const timeoutMs = options.timeoutMs ?? 180_000;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...options.env, HARMA_LOG_LEVEL: 'info' }, stdio: ['ignore', 'ignore', 'pipe'] });
    const lines: Array<Record<string, unknown>> = [];
    let doneAtSignal = -1;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      const waited = options.signal === undefined ? 'did not finish' : `logged no indexing progress ≥ ${options.signal.after}`;
      reject(new Error(`harma-server ${args[0]} ${waited} in ${timeoutMs / 1000} s:\n${lines.map((line) => JSON.stringify(line)).join('\n')}`));
    }, timeoutMs);
    createInterface({ input: child.stderr }).on('line', (text) => {
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        line = { msg: text };
      }
      lines.push(line);
      if (options.signal !== undefined && doneAtSignal < 0 && line.msg === 'indexing progress' && (line.done as number) >= options.signal.after) {
        doneAtSignal = line.done as number;
        child.kill(options.signal.name);
      }
    });
    child.on('error', reject);
    child.on('exit', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({ doneAtSignal, exitCode, signal, lines });
    });
  });
}
