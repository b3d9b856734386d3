import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot } from '../src/index';
import { mentionedVariables, undeclaredVariables, variableMentions, variableUse, type VariableUse } from './turbo-environment';

// Names made up for the fabricated cases are spelt `HARMA_${...}` so that this file itself
// mentions no variable turbo.json would have to declare.
const fake = (suffix: string): string => `HARMA_${suffix}`;

describe('the HARMA_* variables turbo.json passes to tasks', () => {
  it('classifies files: runtime code, tests, benches, documentation', () => {
    expect(variableUse('packages/core/src/runtime/init-backend.ts')).toBe('runtime');
    expect(variableUse('apps/trainer/configs/rsitmd-georsclip.yaml')).toBe('runtime');
    expect(variableUse('packages/core/src/runtime/init-backend.test.ts')).toBe('test');
    expect(variableUse('apps/server/test/helpers/browser.ts')).toBe('test');
    expect(variableUse('tools/golden/src/cli.ts')).toBe('test');
    expect(variableUse('.ci/run')).toBe('test');
    expect(variableUse('packages/metrics/bench/retrieval.bench.ts')).toBe('bench');
    expect(variableUse('docs/reproduce.md')).toBe('docs');
    expect(variableUse('tools/pack-check/README.md')).toBe('docs');
    expect(variableUse('packages/core/CHANGELOG.md')).toBeUndefined();
    expect(variableUse('package.json')).toBeUndefined();
  });

  it('counts every name a file mentions except identifiers it declares', () => {
    const text = `const ${fake('PATTERN')} = /x/;\nif (${fake('PATTERN')}.test(a)) process.env.${fake('ONE')} ?? env['${fake('TWO')}'];\n\${${fake('THREE')}:-x}`;
    expect([...mentionedVariables(text)].sort()).toEqual([fake('ONE'), fake('THREE'), fake('TWO')]);
    // A constant another file declares and this one imports.
    const importer = `import { ${fake('DEFAULTS')} } from 'x';\nuse(${fake('DEFAULTS')}.margin, process.env.${fake('ONE')});`;
    expect([...mentionedVariables(importer, new Set([fake('DEFAULTS')]))]).toEqual([fake('ONE')]);
  });

  it('names each undeclared variable with a file that uses it, and declared names nothing uses', () => {
    const mentions = new Map<string, Array<{ file: string; use: VariableUse }>>([
      [fake('RUNTIME'), [{ file: 'packages/a/src/a.ts', use: 'runtime' }]],
      [fake('TESTED'), [{ file: 'packages/a/src/a.test.ts', use: 'test' }]],
      [fake('BENCHED'), [{ file: 'packages/a/bench/a.bench.ts', use: 'bench' }]],
      [fake('DOCUMENTED'), [{ file: 'README.md', use: 'docs' }]],
      [fake('FINE'), [{ file: 'packages/a/src/a.ts', use: 'runtime' }, { file: 'README.md', use: 'docs' }]],
    ]);
    const turbo = { tasks: { test: { env: [fake('FINE'), fake('BENCHED'), fake('STALE')] }, bench: { env: [fake('FINE'), fake('RUNTIME')] } } };
    expect(undeclaredVariables(mentions, turbo)).toEqual([
      `${fake('BENCHED')} (packages/a/bench/a.bench.ts) is missing from tasks.bench.env`,
      `${fake('DOCUMENTED')} (README.md) is documented but in neither tasks.test.env nor tasks.bench.env`,
      `${fake('RUNTIME')} (packages/a/src/a.ts) is missing from tasks.test.env`,
      `${fake('TESTED')} (packages/a/src/a.test.ts) is missing from tasks.test.env`,
      `tasks.test.env declares ${fake('STALE')}, which nothing mentions`,
    ]);
    expect(undeclaredVariables(new Map([[fake('RUNTIME'), [{ file: 'packages/a/src/a.ts', use: 'runtime' }]]]), { tasks: {} })).toEqual([
      `${fake('RUNTIME')} (packages/a/src/a.ts) is missing from tasks.test.env`,
      `${fake('RUNTIME')} (packages/a/src/a.ts) is missing from tasks.bench.env`,
    ]);
  });

  it('this repository: turbo.json declares every HARMA_* variable the code reads or the docs name', () => {
    const root = repositoryRoot();
    const turbo = JSON.parse(readFileSync(path.join(root, 'turbo.json'), 'utf8')) as { tasks: Record<string, { env?: string[] }> };
    const mentions = variableMentions(root);
    // The scan really reads the repository: core's backend choice and the benches' knobs.
    expect(mentions.get('HARMA_BACKEND')?.some((use) => use.file === 'packages/core/src/runtime/init-backend.ts')).toBe(true);
    expect(mentions.get(fake('BENCH_IMAGES'))?.some((use) => use.use === 'bench')).toBe(true);
    // tools/golden's regular expression and @harma/losses' exported defaults are no variables.
    expect(mentions.has(fake('OUTPUTS'))).toBe(false);
    expect(mentions.has(fake('LOSS_DEFAULTS'))).toBe(false);
    expect(undeclaredVariables(mentions, turbo)).toEqual([]);
  });
});
