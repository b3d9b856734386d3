import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MeasureOptions, MeasureResult } from './measure-step';

const here = path.dirname(fileURLToPath(import.meta.url));

/** One `measure-step.ts` measurement in its own process (so that its peak RSS is its own). */
export function runMeasurement(options: MeasureOptions): MeasureResult {
  const viteNode = path.join(path.dirname(createRequire(import.meta.url).resolve('vite-node/package.json')), 'vite-node.mjs');
  if (!existsSync(viteNode)) throw new Error(`vite-node not found at ${viteNode}`);
  const child = spawnSync(process.execPath, [viteNode, path.join(here, 'measure-step.ts'), JSON.stringify(options)], {
    cwd: path.resolve(here, '..'),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 2 ** 20,
  });
  const line = child.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (child.status !== 0 || !line) throw new Error(`measurement ${JSON.stringify(options)} failed (exit ${child.status}): ${child.stdout.slice(-2000)}`);
  return JSON.parse(line.slice('RESULT '.length)) as MeasureResult;
}
