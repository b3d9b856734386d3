import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '@harma/core';
import { createClip, loadModelConfig, type ClipModel } from '@harma/backbones';
import { saveAdapters } from '../adapters-file';
import { attachClipAdapter } from '../baselines/clip-adapter';
import { attachLora } from '../baselines/lora';
import { attachHarma } from './attach-harma';
import { freezeForHarma } from './freeze';

// CLIP ViT-B/32 built from its config with zero weights (no file): only names, shapes and counts matter here.
describe('HarMA on CLIP ViT-B/32', () => {
  let clip: ClipModel;
  let dir: string;
  beforeAll(async () => {
    await useBackend('cpu');
    clip = createClip(loadModelConfig('ViT-B-32'));
    dir = mkdtempSync(path.join(os.tmpdir(), 'harma-vitb32-'));
  });
  afterAll(() => {
    clip.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('trains exactly 5,934,397 of 157,211,710 parameters, as the official model', async () => {
    const attachment = attachHarma(clip);
    expect(freezeForHarma(clip)).toEqual({ trainable: 5_934_397, total: 157_211_710 });
    expect(attachment.countParameters()).toEqual({ added: 5_934_397, trainable: 5_934_397, total: 157_211_710 });
    const shapes = new Map(clip.module.namedParameters().map(([name, p]) => [name, p.shape]));
    expect(shapes.get('visual.transformer.resblocks.11.gate1')).toEqual([]);
    expect(shapes.get('visual.transformer.resblocks.11.mmadapter.img_proj_down.weight')).toEqual([128, 768]);
    expect(shapes.get('transformer.resblocks.0.mmadapter.img_proj_up.weight')).toEqual([512, 128]);
    expect(shapes.get('transformer.resblocks.0.mmadapter.BiShareAdapterxx.multihead_attention1.in_proj_weight')).toEqual([192, 64]);
    expect(shapes.get('temp')).toEqual([]);
    expect(shapes.has('visual.transformer.resblocks.0.mmadapter.BiShareAdapterxx.l1.weight')).toBe(false);

    // The adapters-only file: every trainable float32 plus a header, about 24 MB.
    const saved = await saveAdapters(path.join(dir, 'harma-vit-b-32.safetensors'), clip, attachment);
    expect(saved.parameters).toBe(5_934_397);
    expect(saved.bytes).toBeGreaterThan(4 * 5_934_397);
    expect(saved.bytes).toBeLessThan(4 * 5_934_397 + 100_000);
    attachment.detach();
    expect(clip.module.countParameters().total).toBe(151_277_313);
  });

  it('counts the baselines: LoRA r=8 on q/v and CLIP-Adapter with reduction 4', () => {
    const lora = attachLora(clip);
    // 12 blocks × 2 targets × 2·8·768 + 12 × 2 × 2·8·512 + temp
    expect(lora.countParameters().added).toBe(491_521);
    lora.detach();
    const clipAdapter = attachClipAdapter(clip);
    // 2 towers × (512·128 + 128·512) + temp
    expect(clipAdapter.countParameters().added).toBe(262_145);
    clipAdapter.detach();
  });
});
