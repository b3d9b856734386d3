/** A CLIP ResNet config as `@harma/backbones`' `ClipResNetConfig` (structurally: this package depends on none of them). */
export interface TinyResNetConfig {
  embedDim: number;
  vision: { imageSize: number; layers: [number, number, number, number]; width: number; heads: number };
  text: { contextLength: number; vocabSize: number; width: number; layers: number; heads: number; mlpRatio: number };
  activation: 'gelu' | 'quick_gelu';
  layerNormEps: number;
  batchNorm: { eps: number; momentum: number };
}

export interface TinyResNetOverrides {
  embedDim?: number;
  vision?: Partial<TinyResNetConfig['vision']>;
  text?: Partial<TinyResNetConfig['text']>;
  activation?: TinyResNetConfig['activation'];
}

/**
 * A tiny CLIP ResNet for tests (milliseconds per call): one Bottleneck per stage of width 8 at
 * 32 px, a one-block text tower of width 16, QuickGELU, PyTorch's BatchNorm defaults — with the
 * fields a test needs changed.
 */
export function tinyResNetConfig(overrides: TinyResNetOverrides = {}): TinyResNetConfig {
  return {
    embedDim: overrides.embedDim ?? 12,
    vision: { imageSize: 32, layers: [1, 1, 1, 1], width: 8, heads: 2, ...overrides.vision },
    text: { contextLength: 8, vocabSize: 64, width: 16, layers: 1, heads: 2, mlpRatio: 2, ...overrides.text },
    activation: overrides.activation ?? 'quick_gelu',
    layerNormEps: 1e-5,
    batchNorm: { eps: 1e-5, momentum: 0.1 },
  };
}
