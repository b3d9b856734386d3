import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { backboneRegistry } from '@harma/core';
import { parseTrainConfig } from '../config/load-config';
import { registerConfigBackbone } from './build-model';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures');

function backboneOf(kind: string, plugin: string) {
  const config = parseTrainConfig(
    {
      name: 'plugin-test',
      backbone: { kind, plugin, config: 'tiny.json', vocabulary: 'vocab.txt.gz' },
      data: { train: ['train.json'], val: 'val.json', test: 'test.json', images: 'images' },
      training: { epochs: 1, lr: 1e-3 },
      output: 'run',
    },
    path.join(fixtures, 'run.yaml'),
  );
  return config.backbone;
}

describe('backbone.plugin', () => {
  it('is resolved against the config folder and imported, registering its kind', async () => {
    const backbone = backboneOf('plugin-test-backbone', './register-test-backbone.mjs');
    expect(backbone.plugin).toBe(path.join(fixtures, 'register-test-backbone.mjs'));
    expect(backboneRegistry.has('plugin-test-backbone')).toBe(false);
    await registerConfigBackbone(backbone);
    expect(backboneRegistry.has('plugin-test-backbone')).toBe(true);
    backboneRegistry.unregister('plugin-test-backbone');
  });

  it('names the module when it cannot be imported or registers nothing', async () => {
    await expect(registerConfigBackbone(backboneOf('missing-kind', './no-such-module.mjs'))).rejects.toThrow(
      /backbone\.plugin: plug-in '.*no-such-module\.mjs' could not be imported/,
    );
    await expect(registerConfigBackbone(backboneOf('missing-kind', './registers-nothing.mjs'))).rejects.toThrow(
      /backbone\.plugin: plug-in '.*registers-nothing\.mjs' was imported but registered no backbone 'missing-kind'/,
    );
  });

  it('keeps package specifiers as they are', () => {
    expect(backboneOf('x', '@scope/plugin/register').plugin).toBe('@scope/plugin/register');
  });
});
