import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const cli = path.resolve('dist/cli/harma-synthetic.js');

describe('harma-synthetic (the built bin)', () => {
  it('writes both styles of the world into <dir>/source and <dir>/target', async () => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: build @harma/data first (npx tsup)`);
    const dir = mkdtempSync(path.join(tmpdir(), 'harma-cli-'));
    const { stdout } = await run(process.execPath, [cli, dir, '--style', 'both', '--images', '14', '--size', '24', '--val', '2', '--test', '2', '--seed', '5', '--quiet']);
    expect(stdout).toMatch(/^source: 14 images \(train 10, val 2, test 2\), 24px png/m);
    expect(stdout).toMatch(/^target: 14 images/m);
    for (const style of ['source', 'target']) {
      const manifest = JSON.parse(readFileSync(path.join(dir, style, 'dataset.json'), 'utf8')) as { style: { name: string }; seed: string };
      expect(manifest.style.name).toBe(style);
      expect(manifest.seed).toBe('5');
      expect(JSON.parse(readFileSync(path.join(dir, style, 'annotations', 'synthetic_train.json'), 'utf8'))).toHaveLength(50);
    }
  });

  it('rejects an unknown class with a clear message', async () => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: build @harma/data first (npx tsup)`);
    const dir = mkdtempSync(path.join(tmpdir(), 'harma-cli-'));
    await expect(run(process.execPath, [cli, dir, '--classes', 'forest,volcano', '--images', '5'])).rejects.toMatchObject({ stderr: expect.stringMatching(/unknown scene classes: volcano/) });
  });
});
