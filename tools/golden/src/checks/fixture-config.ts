import { validateClipConfig, type ClipConfig } from '@harma/backbones';

function section(config: Record<string, unknown>, name: string): Record<string, unknown> {
  const value = config[name];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`config.json: '${name}' is not an object`);
  return value as Record<string, unknown>;
}

/**
 * The CLIP architecture a golden model fixture's config.json describes (fixtures/golden/README.md:
 * `embed_dim`, `vision`, `text`, `act`, `ln_eps`); `validateClipConfig` names any bad field.
 */
export function clipConfigFromFixture(config: Record<string, unknown>): ClipConfig {
  const vision = section(config, 'vision');
  const text = section(config, 'text');
  return validateClipConfig(
    {
      embedDim: config.embed_dim,
      vision: {
        imageSize: vision.image_size,
        patchSize: vision.patch_size,
        width: vision.width,
        layers: vision.layers,
        heads: vision.heads,
        mlpRatio: vision.mlp_ratio,
      },
      text: {
        contextLength: text.context_length,
        vocabSize: text.vocab_size,
        width: text.width,
        layers: text.layers,
        heads: text.heads,
        mlpRatio: text.mlp_ratio,
      },
      activation: config.act,
      layerNormEps: config.ln_eps,
    },
    'config.json',
  );
}
