import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';

/** What the training process tells its supervisor once it knows where the run keeps its state. */
export interface TrainingRunMessage {
  type: 'harma-train-run';
  /** The run's state file (`state.safetensors`). */
  state: string;
  /** The command that continues the run. */
  resume: string;
}

export function isTrainingRunMessage(message: unknown): message is TrainingRunMessage {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'harma-train-run';
}

/**
 * Signals closer together than this are one request: a Ctrl-C reaches every process of the
 * terminal's group, and `npm run` passes the one it gets on as well.
 */
export const SAME_REQUEST_MS = 500;

export interface SuperviseOptions {
  /** The command line to run again in the child. Default: `process.argv`. */
  argv?: readonly string[];
  /** Where the supervisor's own lines go. Default: `process.stderr`. */
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
}

/**
 * Run `harma train` in a child process and stay responsive to signals while it computes: a
 * training step runs synchronously (up to a minute for the paper's batch), during which the
 * training process cannot run a signal handler, but this one can. The first SIGINT or SIGTERM is
 * passed on — the child finishes the step in progress, saves its state atomically and prints the
 * command that continues the run —; a second one kills the child at once. Resolves with the exit
 * code: the child's, or 130 / 143 (SIGINT / SIGTERM) when it was killed.
 */
export function superviseTraining(options: SuperviseOptions = {}): Promise<number> {
  const argv = options.argv ?? process.argv;
  const stderr = options.stderr ?? process.stderr;
  // On a terminal a progress bar may be drawn on the current line: clear it before writing.
  const say = (text: string): void => void stderr.write(`${stderr.isTTY ? '\r\u001b[K' : ''}harma: ${text}\n`);
  const child = spawn(process.execPath, [...process.execArgv, argv[1] as string, ...argv.slice(2)], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] });
  let run: TrainingRunMessage | undefined;
  child.on('message', (message: unknown) => {
    if (isTrainingRunMessage(message)) run = message;
  });
  let first: { signal: NodeJS.Signals; at: number } | undefined;
  let killedBy: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    const now = performance.now();
    if (first === undefined || now - first.at < SAME_REQUEST_MS) {
      if (first === undefined) {
        first = { signal, at: now };
        say(`${signal === 'SIGINT' ? 'Ctrl-C' : signal}: the run stops after the step in progress, saves its state and prints the command that continues it (Ctrl-C again quits at once)`);
      }
      // The child may have had it already (a terminal's Ctrl-C); it takes a repeated request as one.
      if (child.exitCode === null) child.kill(signal);
      return;
    }
    if (killedBy !== undefined) return;
    killedBy = signal;
    child.kill('SIGKILL');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return new Promise((resolve) => {
    const finish = (code: number): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(code);
    };
    child.on('error', (error) => {
      say(`could not start the training process: ${error.message}`);
      finish(1);
    });
    child.on('exit', (code, signal) => {
      if (killedBy !== undefined) {
        // The child's progress bar hid the cursor and had no chance to show it again.
        if (stderr.isTTY) stderr.write('\u001b[?25h');
        const saved = run !== undefined && existsSync(run.state);
        say(saved && run ? `quit at once; the run continues from its last saved state with:\n  ${run.resume}` : 'quit at once; nothing of the run had been saved yet');
        finish(killedBy === 'SIGTERM' ? 143 : 130);
        return;
      }
      if (signal !== null) {
        // Killed before it could set up its handlers (nothing was written then), or by someone else.
        if (first === undefined) say(`the training process was ended by ${signal}`);
        finish(128 + (os.constants.signals[signal] ?? 0));
        return;
      }
      finish(code ?? 1);
    });
  });
}
