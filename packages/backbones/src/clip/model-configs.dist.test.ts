import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageRoot = path.resolve(__dirname, '..', '..');

/** Runs a snippet in a fresh Node process against the built package (turbo builds before testing). */
function runAgainstDist(entry: 'index.js' | 'index.cjs', snippet: string): string {
  const file = path.join(packageRoot, 'dist', entry);
  if (!existsSync(file)) throw new Error(`${file} is missing: build the package first (npx tsup)`);
  const load = entry === 'index.js' ? `const b = await import(${JSON.stringify(pathToFileURL(file).href)});` : `const b = require(${JSON.stringify(file)});`;
  const program = entry === 'index.js' ? `${load} ${snippet}` : `(async () => { ${load} ${snippet} })()`;
  return execFileSync(process.execPath, [...(entry === 'index.js' ? ['--input-type=module'] : []), '-e', program], {
    cwd: packageRoot,
    encoding: 'utf8',
  });
}

describe('shipped configs are found from the built package', () => {
  it.each(['index.js', 'index.cjs'] as const)('dist/%s', (entry) => {
    const output = runAgainstDist(entry, "process.stdout.write(JSON.stringify([b.modelConfigsDirectory(), b.loadModelConfig('ViT-L-14').vision.heads]));");
    expect(JSON.parse(output)).toEqual([path.join(packageRoot, 'configs'), 16]);
  });
});
