import { mlpWidth, visionTokens, type ClipConfig } from '@harma/backbones';

/** HarMA's adapter sizes as the step uses them (the official defaults unless a run says otherwise). */
export interface HarmaSizes {
  bottleneck: number;
  /** BiShareAdapters in the text tower's adapters (official), both towers' or none. */
  bishare: 'text' | 'both' | 'none';
}

export interface StepFlops {
  /** Forward pass of one image / one caption (2 FLOPs per multiply-add), adapters included. */
  imageForward: number;
  captionForward: number;
  /** Forward and backward pass of one image-caption pair in a training step. */
  pairStep: number;
}

/** FLOPs of `tokens` rows through a linear layer `inFeatures` → `outFeatures`. */
const dense = (tokens: number, inFeatures: number, outFeatures: number): number => 2 * tokens * inFeatures * outFeatures;
/** FLOPs of the two products of self-attention (scores and context) over `tokens` positions of width `width`. */
const attention = (tokens: number, width: number): number => 4 * tokens * tokens * width;
/** One multi-head attention module of width `width` on `tokens` positions: projections + products. */
const attentionModule = (tokens: number, width: number): { dense: number; products: number } => ({
  dense: dense(tokens, width, 3 * width) + dense(tokens, width, width),
  products: attention(tokens, width),
});

interface TowerFlops {
  forward: number;
  backward: number;
}

/**
 * FLOPs of one sequence through one tower with a HarMA adapter in every block. The backward pass
 * follows what the training step differentiates: every block's adapter (its weights train: dx
 * and dW, 2× its forward; its attention products 2×), and the frozen layers of blocks 1…L−1
 * (dx only: 1× their forward; attention products 2×) — block 0's own attention and MLP, the
 * patch/token embeddings and everything before them are upstream of every trainable parameter.
 */
function towerFlops(tokens: number, width: number, layers: number, hidden: number, harma: HarmaSizes, shared: boolean, stem: number): TowerFlops {
  const b = harma.bottleneck;
  const block = attentionModule(tokens, width);
  const frozenDense = block.dense + dense(tokens, width, hidden) + dense(tokens, hidden, width);
  const inner = attentionModule(tokens, b);
  let adapterDense = dense(tokens, width, b) + 2 * inner.dense + dense(tokens, b, width);
  let adapterProducts = 2 * inner.products;
  if (shared) {
    const half = attentionModule(tokens, b / 2);
    adapterDense += dense(tokens, b, b / 2) + half.dense + dense(tokens, b / 2, b);
    adapterProducts += half.products;
  }
  const forward = stem + layers * (frozenDense + block.products + adapterDense + adapterProducts);
  const backward = (layers - 1) * (frozenDense + 2 * block.products) + layers * (2 * adapterDense + 2 * adapterProducts);
  return { forward, backward };
}

/** FLOPs of a CLIP + HarMA training step, per pair; the final projections and the loss are negligible and left out. */
export function stepFlops(config: ClipConfig, harma: HarmaSizes): StepFlops {
  const { vision, text } = config;
  const patches = (vision.imageSize / vision.patchSize) ** 2;
  const image = towerFlops(
    visionTokens(vision), vision.width, vision.layers, mlpWidth(vision), harma, harma.bishare === 'both',
    dense(patches, 3 * vision.patchSize * vision.patchSize, vision.width),
  );
  const caption = towerFlops(text.contextLength, text.width, text.layers, mlpWidth(text), harma, harma.bishare !== 'none', 0);
  return { imageForward: image.forward, captionForward: caption.forward, pairStep: image.forward + image.backward + caption.forward + caption.backward };
}
