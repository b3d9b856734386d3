import path from 'node:path';

/** `word` as one shell word: unchanged when it is plain, else in single quotes. */
export function shellWord(word: string): string {
  if (/^[A-Za-z0-9_\-./,:=@%+]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command that continues this run: the same `harma train` arguments (so the same config,
 * overrides and output folder, which `--resume` needs), with `--resume`, written the way this
 * process was started — `npm run harma --`, `npx harma`, `harma` or `node <script>` — to be run
 * from the same working directory.
 */
export function resumeCommandLine(argv: readonly string[] = process.argv, environment: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  const args = argv.slice(2).filter((arg) => arg !== '--resume');
  const script = argv[1] ?? 'harma';
  let prefix: string;
  if (environment.npm_lifecycle_event === 'harma') prefix = 'npm run harma --';
  else if (path.basename(script) === 'harma') prefix = environment.npm_command === 'exec' ? 'npx harma' : 'harma';
  else {
    const relative = path.relative(cwd, script);
    prefix = `node ${shellWord(relative === '' || relative.startsWith('..') ? script : relative)}`;
  }
  return [prefix, ...args.map(shellWord), '--resume'].join(' ');
}
