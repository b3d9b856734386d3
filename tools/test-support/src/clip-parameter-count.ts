/**
 * Closed-form parameter counts of an open_clip CLIP — ViT or ModifiedResNet image tower — and of
 * HarMA attached to it, computed from open_clip's model-config JSON alone: the expected values of
 * tests that count what the model code builds. Nothing here reads the code under test (this
 * package cannot import it), so a wrong default, head or MLP width in the code shows up as a
 * difference.
 */

/** Parameters of each tower of a plain CLIP; `total` includes `logit_scale`. */
export interface ClipParameterCount {
  /** Everything under `visual.` (open_clip's `image_mparams` · 1e6). */
  vision: number;
  /** The text tower: token and positional embeddings, blocks, `ln_final`, `text_projection`. */
  text: number;
  total: number;
}

/**
 * HarMA's official layout: every transformer block of both towers (a ResNet image tower has none),
 * bottleneck 128, BiShareAdapters in the text tower.
 */
export interface HarmaCountOptions {
  /** Down-projection width of every MMadapter. Default: 128 (official). */
  bottleneck?: number;
}

type Json = Record<string, unknown>;

/** A numeric field of an open_clip config section, or open_clip's default when absent. */
function field(section: Json, name: string, fallback?: number): number {
  const value = section[name] === undefined ? fallback : section[name];
  if (typeof value !== 'number') throw new Error(`open_clip config: ${name} is ${String(value)}, expected a number`);
  return value;
}

function section(json: unknown, name: 'vision_cfg' | 'text_cfg'): Json {
  const value = (json as Json | null)?.[name];
  if (typeof value !== 'object' || value === null) throw new Error(`open_clip config: ${name} is missing`);
  return value as Json;
}

/** open_clip's defaults (CLIPTextCfg) for the fields that size the text tower. */
function textTower(json: unknown): { width: number; layers: number; mlp: number; context: number; vocab: number } {
  const text = section(json, 'text_cfg');
  const width = field(text, 'width', 512);
  return {
    width,
    layers: field(text, 'layers', 12),
    mlp: Math.floor(width * field(text, 'mlp_ratio', 4)),
    context: field(text, 'context_length', 77),
    vocab: field(text, 'vocab_size', 49408),
  };
}

/** open_clip's defaults (CLIPVisionCfg) for the fields that size a ViT image tower. */
function vitTower(vision: Json): { width: number; layers: number; mlp: number; patch: number; grid: number } {
  const width = field(vision, 'width', 768);
  const patch = field(vision, 'patch_size', 16);
  return {
    width,
    layers: field(vision, 'layers', 12),
    // open_clip: mlp_width = int(width * mlp_ratio); grid = image_size // patch_size.
    mlp: Math.floor(width * field(vision, 'mlp_ratio', 4)),
    patch,
    grid: Math.floor(field(vision, 'image_size', 224) / patch),
  };
}

/** The blocks per stage of a ModifiedResNet config (`vision_cfg.layers` a list), else undefined. */
function resNetStages(vision: Json): number[] | undefined {
  const layers = vision.layers;
  if (!Array.isArray(layers)) return undefined;
  if (layers.length !== 4 || !layers.every((n) => Number.isInteger(n) && n > 0)) throw new Error(`open_clip config: vision_cfg.layers ${JSON.stringify(layers)} is not four block counts`);
  return layers as number[];
}

/** nn.MultiheadAttention of width d: packed q/k/v projection and the output projection, with biases. */
function attention(d: number): number {
  return 3 * d * d + 3 * d + d * d + d;
}

/** open_clip's ResidualAttentionBlock: ln_1, attn, ln_2, mlp.c_fc, mlp.c_proj. */
function block(width: number, mlp: number): number {
  return 2 * width + attention(width) + 2 * width + (width * mlp + mlp) + (mlp * width + width);
}

/** BatchNorm2d's learned parameters (`weight`, `bias`); its running statistics are buffers, not parameters. */
function batchNorm(channels: number): number {
  return 2 * channels;
}

/**
 * open_clip's ModifiedResNet: the stem (3×3 convolutions 3 → w/2 → w/2 → w, each with a
 * BatchNorm), Bottlenecks (1×1 in → p, 3×3 p → p, 1×1 p → 4p, a BatchNorm after each, and a
 * 1×1 in → 4p shortcut with its BatchNorm when the shape changes — the first block of every
 * stage), stage s with p = w·2ˢ, then the attention pooling of width 32w over (image/32)² + 1
 * positions with biased q/k/v projections and `c_proj` to the embedding.
 */
function resNetVision(vision: Json, embed: number, stages: number[]): number {
  const width = field(vision, 'width', 64);
  const half = width / 2;
  let total = 3 * half * 9 + batchNorm(half) + half * half * 9 + batchNorm(half) + half * width * 9 + batchNorm(width);
  let inChannels = width;
  stages.forEach((blocks, stage) => {
    const planes = width * 2 ** stage;
    for (let block = 0; block < blocks; block++) {
      total += inChannels * planes + batchNorm(planes) + planes * planes * 9 + batchNorm(planes) + planes * 4 * planes + batchNorm(4 * planes);
      if (block === 0) total += inChannels * 4 * planes + batchNorm(4 * planes);
      inChannels = 4 * planes;
    }
  });
  const features = 32 * width;
  const grid = Math.floor(field(vision, 'image_size', 224) / 32);
  return total + (grid * grid + 1) * features + 3 * (features * features + features) + features * embed + embed;
}

/** Parameters of the plain open_clip CLIP a model config describes (no adapters): ViT or ModifiedResNet image tower. */
export function openClipParameterCount(json: unknown): ClipParameterCount {
  const embed = field(json as Json, 'embed_dim');
  const visionCfg = section(json, 'vision_cfg');
  const t = textTower(json);
  const stages = resNetStages(visionCfg);
  let vision: number;
  if (stages) vision = resNetVision(visionCfg, embed, stages);
  else {
    const v = vitTower(visionCfg);
    vision =
      3 * v.patch * v.patch * v.width + // conv1 (no bias)
      v.width + // class_embedding
      (v.grid * v.grid + 1) * v.width + // positional_embedding
      2 * v.width + // ln_pre
      v.layers * block(v.width, v.mlp) +
      2 * v.width + // ln_post
      v.width * embed; // proj
  }
  const text =
    t.vocab * t.width + // token_embedding
    t.context * t.width + // positional_embedding
    t.layers * block(t.width, t.mlp) +
    2 * t.width + // ln_final
    t.width * embed; // text_projection
  return { vision, text, total: vision + text + 1 };
}

/**
 * Parameters HarMA adds (all trainable): per block a gate `gate1` and an MMadapter (its `gate1`,
 * `img_proj_down` width→b, `img_proj_up` b→width, one attention of width b); in text blocks the
 * MMadapter also holds a BiShareAdapter (`gate1`, `l1` b→b/2, `l2` b/2→b, an attention of width
 * b/2); plus the temperature `temp`. A ResNet image tower has no blocks, so no adapters.
 */
export function harmaParameterCount(json: unknown, options: HarmaCountOptions = {}): number {
  const b = options.bottleneck ?? 128;
  const half = b / 2;
  const visionCfg = section(json, 'vision_cfg');
  const vision = resNetStages(visionCfg) ? { layers: 0, width: 0 } : vitTower(visionCfg);
  const text = textTower(json);
  const mmadapter = (width: number): number => 1 + (width * b + b) + (b * width + width) + attention(b);
  const bishare = 1 + (b * half + half) + (half * b + b) + attention(half);
  return vision.layers * (1 + mmadapter(vision.width)) + text.layers * (1 + mmadapter(text.width) + bishare) + 1;
}
