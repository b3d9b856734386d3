import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SHIPPED_MODEL_CONFIG_NAMES, SHIPPED_RESNET_CONFIG_NAMES, loadModelConfig, toHuggingFaceClipConfig, toOpenClipResNetConfig, loadResNetModelConfig } from '@harma/backbones';
import { resolveBackboneName, shippedBackboneNames } from './backbone-name';

describe('resolveBackboneName', () => {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'harma-backbone-name-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('resolves a shipped config name and an open_clip config file to the clip kind', async () => {
    expect(await resolveBackboneName('ViT-H-14')).toEqual({ name: 'ViT-H-14', kind: 'clip', config: 'ViT-H-14' });
    expect(await resolveBackboneName('configs/my-vit.json')).toEqual({ name: 'configs/my-vit.json', kind: 'clip', config: 'configs/my-vit.json' });
    expect(shippedBackboneNames()).toEqual([
      { kind: 'clip', names: SHIPPED_MODEL_CONFIG_NAMES },
      { kind: 'clip-resnet', names: SHIPPED_RESNET_CONFIG_NAMES },
    ]);
  });

  it('resolves a shipped ResNet name and an open_clip ModifiedResNet config file to the clip-resnet kind', async () => {
    expect(await resolveBackboneName('RN50')).toEqual({ name: 'RN50', kind: 'clip-resnet', config: 'RN50' });
    expect((await resolveBackboneName('RN50x64-quickgelu')).kind).toBe('clip-resnet');
    const file = path.join(folder, 'my-rn.json');
    writeFileSync(file, JSON.stringify(toOpenClipResNetConfig(loadResNetModelConfig('RN101'))));
    expect(await resolveBackboneName(file)).toEqual({ name: file, kind: 'clip-resnet', config: file });
  });

  it("reads a Hugging Face CLIP folder's sizes from its config.json alone (no weights, no tokenizer needed)", async () => {
    const hf = path.join(folder, 'clip-vit-large-patch14-336');
    mkdirSync(hf);
    writeFileSync(path.join(hf, 'config.json'), JSON.stringify(toHuggingFaceClipConfig(loadModelConfig('ViT-L-14-336-quickgelu'))));
    const named = await resolveBackboneName(hf);
    expect(named.kind).toBe('clip');
    expect(named.config).toMatchObject({ embedDim: 768, vision: { imageSize: 336, patchSize: 14, width: 1024, layers: 24 }, activation: 'quick_gelu' });
  });

  it('refuses anything else, listing the shipped names', async () => {
    await expect(resolveBackboneName('RN49')).rejects.toThrow(
      /^unknown backbone 'RN49': give a shipped config name \(clip: ViT-S-32, .*ViT-bigG-14-quickgelu; clip-resnet: RN50, .*RN50x64-quickgelu\), the path of an open_clip model config \.json file, or a Hugging Face CLIP folder$/,
    );
    await expect(resolveBackboneName('vit-b-32')).rejects.toThrow(/unknown backbone 'vit-b-32'/);
    const empty = path.join(folder, 'empty');
    mkdirSync(empty);
    await expect(resolveBackboneName(empty)).rejects.toThrow(`'${empty}' is a folder without a config.json: give a shipped config name`);
  });
});
