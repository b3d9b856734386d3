import type * as tf from '@tensorflow/tfjs-core';
import { attachHarma, type HarmaOptions } from '@harma/adapters';
import { createClip, loadWeights, type ClipModel } from '@harma/backbones';
import { clipConfigFromFixture } from './fixture-config';
import { fixtureInput, type ModelComputer, type ModelFixture } from './model-fixture';

function positiveInteger(adapter: Record<string, unknown>, field: string): number {
  const value = adapter[field];
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new Error(`config.json: adapter.${field} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** The fixture's `adapter` block as attachHarma options (bottleneck, heads, BiShare heads and placement). */
export function harmaOptionsFromFixture(config: Record<string, unknown>): HarmaOptions {
  const adapter = config.adapter;
  if (typeof adapter !== 'object' || adapter === null) throw new Error('config.json: no adapter object');
  const fields = adapter as Record<string, unknown>;
  const bottleneck = positiveInteger(fields, 'bottleneck');
  const heads = positiveInteger(fields, 'heads');
  const bishareHeads = positiveInteger(fields, 'share_heads');
  const inText = fields.text_bishare ?? true;
  const inVision = fields.vision_bishare ?? false;
  if (typeof inText !== 'boolean' || typeof inVision !== 'boolean') throw new Error('config.json: adapter.text_bishare / vision_bishare must be booleans');
  if (inVision && !inText) throw new Error('config.json: BiShare in the vision tower alone is not a HarMA placement');
  const bishare = inText ? (inVision ? 'both' : 'text') : 'none';
  if (typeof fields.share_width === 'number' && fields.share_width !== bottleneck / 2) {
    throw new Error(`config.json: adapter.share_width ${fields.share_width} is not bottleneck/2 = ${bottleneck / 2}`);
  }
  return { vision: { bottleneck, heads }, text: { bottleneck, heads }, bishare, bishareHeads };
}

/**
 * Build the fixture's CLIP with HarMA attached and every weight loaded through the public loaders
 * (so `--weights weights.pt`, `harma_checkpoint.pth` or `weights.hf.safetensors,adapters.safetensors`
 * exercise them). The caller disposes the model.
 */
export async function buildHarmaClip(fixture: ModelFixture): Promise<ClipModel> {
  const model = createClip(clipConfigFromFixture(fixture.config));
  try {
    attachHarma(model, harmaOptionsFromFixture(fixture.config));
    const weights = await loadWeights(fixture.weightFiles);
    try {
      model.module.loadStateDict(weights, { source: fixture.weightFiles.join(', ') });
    } finally {
      for (const tensor of weights.values()) tensor.dispose();
    }
    return model;
  } catch (error) {
    model.dispose();
    throw error;
  }
}


/** Embeddings and every block state of the adapted model: `image_emb`, `text_emb`, `image_tokens_block{i}`, `text_tokens_block{i}`. */
export const harmaForwardComputer: ModelComputer = {
  label: 'HarMA forward',
  async compute(fixture) {
    const model = await buildHarmaClip(fixture);
    try {
      const image = model.forwardImage(fixtureInput(fixture, 'images'), { hiddenStates: true });
      const text = model.forwardText(fixtureInput(fixture, 'text'), { hiddenStates: true });
      const out = new Map<string, tf.Tensor>([
        ['image_emb', image.features],
        ['text_emb', text.features],
      ]);
      image.hiddenStates.forEach((state, i) => out.set(`image_tokens_block${i}`, state));
      text.hiddenStates.forEach((state, i) => out.set(`text_tokens_block${i}`, state));
      return out;
    } finally {
      model.dispose();
    }
  },
};
