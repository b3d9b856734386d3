import { spawn } from 'node:child_process';

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall time in milliseconds. */
  ms: number;
}

export interface RunCommandOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the command after this long. Default: 10 minutes. */
  timeoutMs?: number;
}

/**
 * The environment child processes get: this process's, without what an enclosing `npm run` (or
 * turbo) exported — `npm_config_*` would point a child npm at the workspace, `NODE_OPTIONS` could
 * preload workspace code — so the scratch project sees what a user's shell gives.
 */
export function cleanEnvironment(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|NPM_CONFIG_|INIT_CWD$|NODE_OPTIONS$|NODE_PATH$|VITEST|TEST$|TURBO_)/i.test(key)) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/** Run a command to its end, collecting its output; never throws for a non-zero exit. */
export function runCommand(command: string, args: readonly string[], options: RunCommandOptions): Promise<CommandResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? cleanEnvironment(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      stderr += `\n[pack-check] killed after ${options.timeoutMs ?? 600_000} ms`;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 600_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** The last lines of a command's output, for error messages. */
export function tail(text: string, lines = 25): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
