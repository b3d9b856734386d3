import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { backboneRegistry } from './backbone-registry';
import { importPlugin } from './import-plugin';
import { tokenizerRegistry } from './text-tokenizer';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures');

afterAll(() => {
  backboneRegistry.unregister('plugin-fixture-backbone');
  tokenizerRegistry.unregister('plugin-fixture-tokenizer');
});

describe('importPlugin', () => {
  it('imports a module by relative path and checks it registered what it must provide', async () => {
    expect(backboneRegistry.has('plugin-fixture-backbone')).toBe(false);
    await importPlugin('./register-test-plugin.mjs', { backbone: 'plugin-fixture-backbone', tokenizer: 'plugin-fixture-tokenizer' }, { from: fixtures });
    expect(backboneRegistry.has('plugin-fixture-backbone')).toBe(true);
    expect(tokenizerRegistry.has('plugin-fixture-tokenizer')).toBe(true);
  });

  it('does not import anything when the kinds are registered already', async () => {
    await expect(importPlugin('@harma-examples/never-installed', { backbone: 'plugin-fixture-backbone' })).resolves.toBeUndefined();
  });

  it('names the module when it cannot be imported or registers nothing', async () => {
    await expect(importPlugin('./no-such-module.mjs', { backbone: 'missing-kind' }, { from: fixtures })).rejects.toThrow(/plug-in '\.\/no-such-module\.mjs' could not be imported: /);
    await expect(importPlugin(path.join(fixtures, 'registers-nothing.mjs'), { backbone: 'missing-kind', tokenizer: 'missing-words' })).rejects.toThrow(
      /plug-in '.*registers-nothing\.mjs' was imported but registered no backbone 'missing-kind' and no tokenizer 'missing-words'/,
    );
  });
});
