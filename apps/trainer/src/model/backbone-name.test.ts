import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SHIPPED_MODEL_CONFIG_NAMES } from '@harma/backbones';
import { resolveBackboneName, shippedBackboneNames } from './backbone-name';

describe('resolveBackboneName', () => {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'harma-backbone-name-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('resolves a shipped config name and an open_clip config file to the clip kind', () => {
    expect(resolveBackboneName('ViT-H-14')).toEqual({ name: 'ViT-H-14', kind: 'clip', config: 'ViT-H-14' });
    expect(resolveBackboneName('configs/my-vit.json')).toEqual({ name: 'configs/my-vit.json', kind: 'clip', config: 'configs/my-vit.json' });
    expect(shippedBackboneNames()).toEqual([{ kind: 'clip', names: SHIPPED_MODEL_CONFIG_NAMES }]);
  });

  it('refuses anything else, listing the shipped names', () => {
    expect(() => resolveBackboneName('RN50')).toThrow(/^unknown backbone 'RN50': give a shipped config name \(clip: ViT-S-32, .*ViT-bigG-14-quickgelu\) or the path of an open_clip model config \.json file$/);
    expect(() => resolveBackboneName('vit-b-32')).toThrow(/unknown backbone 'vit-b-32'/);
    expect(() => resolveBackboneName(folder)).toThrow(`'${folder}' is a folder, which harma info does not read: give a shipped config name`);
  });
});
