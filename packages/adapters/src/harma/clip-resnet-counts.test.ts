import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '@harma/core';
import { createClipResNet, loadResNetModelConfig, type ClipResNetModel } from '@harma/backbones';
import { attachClipAdapter } from '../baselines/clip-adapter';
import { attachLora } from '../baselines/lora';
import { attachHarma } from './attach-harma';
import { freezeForHarma } from './freeze';

// CLIP RN50 built from its config with zero weights: its image tower offers no adapter sites, and
// every method attaches through the contract with no special case.
describe('adapters on CLIP RN50, whose image tower has no sites', () => {
  let clip: ClipResNetModel;
  beforeAll(async () => {
    await useBackend('cpu');
    clip = createClipResNet(loadResNetModelConfig('RN50'));
  });
  afterAll(() => clip.dispose());

  it('HarMA is the text tower’s adapters and temp: exactly 2,771,749 trainable of 104,778,886, as the official model', () => {
    expect(clip.towers.vision.blocks).toEqual([]);
    const attachment = attachHarma(clip);
    expect(attachment.options.vision.blocks).toEqual([]);
    expect(attachment.adapters.every(({ site }) => site.tower === 'text')).toBe(true);
    expect(freezeForHarma(clip)).toEqual({ trainable: 2_771_749, total: 104_778_886 });
    expect(attachment.countParameters()).toEqual({ added: 2_771_749, trainable: 2_771_749, total: 104_778_886 });
    const trainable = clip.module.trainableParameters().map(([name]) => name);
    expect(trainable.some((name) => name.startsWith('visual.'))).toBe(false);
    expect(trainable).toContain('transformer.resblocks.11.mmadapter.BiShareAdapterxx.l1.weight');
    // The BatchNorm statistics are buffers: neither counted nor frozen, and still in the state dict.
    // 3 per BatchNorm: the stem's 3, 3 in each of the 16 Bottlenecks, the 4 stages' shortcuts.
    expect(clip.module.namedBuffers().length).toBe(3 * (3 + 16 * 3 + 4));
    expect(clip.module.stateDict().has('visual.layer4.2.bn3.running_var')).toBe(true);
    attachment.detach();
    expect(clip.module.countParameters().total).toBe(102_007_137);
  });

  it('LoRA adapts the text tower only; CLIP-Adapter takes the image tower’s output like any other', () => {
    const lora = attachLora(clip);
    expect(lora.options.vision.blocks).toEqual([]);
    // 12 text blocks × 2 targets (q, v) × 2·8·512 + temp
    expect(lora.countParameters().added).toBe(196_609);
    lora.detach();
    const clipAdapter = attachClipAdapter(clip);
    // 2 towers × (1024·256 + 256·1024) + temp
    expect(clipAdapter.countParameters().added).toBe(1_048_577);
    expect(clip.module.parameter('visual.image_adapter.fc.0.weight').shape).toEqual([256, 1024]);
    // The output transform runs on the tower's features [batch, embed] (not the ResNet's 2048-wide map).
    const transformed = tf.tidy(() => clip.towers.vision.outputTransform?.(tf.ones([2, 1024])));
    expect(transformed?.shape).toEqual([2, 1024]);
    tf.dispose(transformed);
    clipAdapter.detach();
  });
});
