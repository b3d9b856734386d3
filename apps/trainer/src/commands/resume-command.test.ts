import { describe, expect, it } from 'vitest';
import { resumeCommandLine, shellWord } from './resume-command';

describe('resumeCommandLine', () => {
  const argv = (script: string, ...args: string[]): string[] => ['/usr/bin/node', script, ...args];

  it('repeats the arguments with --resume, written as the run was started', () => {
    const args = ['train', '--config', 'configs/run.yaml', '--output', 'runs/a', '--set', 'training.lr=1e-4'];
    const tail = 'train --config configs/run.yaml --output runs/a --set training.lr=1e-4 --resume';
    expect(resumeCommandLine(argv('/repo/apps/trainer/dist/cli.js', ...args), { npm_lifecycle_event: 'harma' }, '/repo')).toBe(`npm run harma -- ${tail}`);
    expect(resumeCommandLine(argv('/repo/node_modules/.bin/harma', ...args), { npm_command: 'exec' }, '/repo')).toBe(`npx harma ${tail}`);
    expect(resumeCommandLine(argv('/usr/local/bin/harma', ...args), {}, '/home/me')).toBe(`harma ${tail}`);
    expect(resumeCommandLine(argv('/repo/apps/trainer/dist/cli.js', ...args), {}, '/repo')).toBe(`node apps/trainer/dist/cli.js ${tail}`);
    // A script outside the working directory keeps its absolute path.
    expect(resumeCommandLine(argv('/repo/apps/trainer/dist/cli.js', ...args), {}, '/elsewhere')).toBe(`node /repo/apps/trainer/dist/cli.js ${tail}`);
  });

  it('adds --resume once and quotes what a shell would split', () => {
    const command = resumeCommandLine(argv('/usr/local/bin/harma', 'train', '--config', 'my runs/run.yaml', '--resume', '--set', "name=it's"), {}, '/');
    expect(command).toBe(`harma train --config 'my runs/run.yaml' --set 'name=it'\\''s' --resume`);
  });
});

describe('shellWord', () => {
  it('leaves plain words alone and single-quotes the rest', () => {
    expect(shellWord('runs/a-b_c.yaml')).toBe('runs/a-b_c.yaml');
    expect(shellWord('data.train=[a.json, b.json]')).toBe(`'data.train=[a.json, b.json]'`);
    expect(shellWord('$HOME')).toBe(`'$HOME'`);
  });
});
