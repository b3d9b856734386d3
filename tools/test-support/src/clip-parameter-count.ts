/**
 * Closed-form parameter counts of an open_clip CLIP ViT, and of HarMA attached to it, computed from
 * open_clip's model-config JSON alone: the expected values of tests that count what the model code
 * builds. Nothing here reads the code under test (this package cannot import it), so a wrong
 * default, head or MLP width in the code shows up as a difference.
 */

/** Parameters of each tower of a plain CLIP; `total` includes `logit_scale`. */
export interface ClipParameterCount {
  /** Everything under `visual.` (open_clip's `image_mparams` · 1e6). */
  vision: number;
  /** The text tower: token and positional embeddings, blocks, `ln_final`, `text_projection`. */
  text: number;
  total: number;
}

/** HarMA's official layout: every block of both towers, bottleneck 128, BiShareAdapters in the text tower. */
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

/** open_clip's defaults (CLIPVisionCfg / CLIPTextCfg) for the fields that size a ViT CLIP. */
function towers(json: unknown): {
  embed: number;
  vision: { width: number; layers: number; mlp: number; patch: number; grid: number };
  text: { width: number; layers: number; mlp: number; context: number; vocab: number };
} {
  const vision = section(json, 'vision_cfg');
  const text = section(json, 'text_cfg');
  const visionWidth = field(vision, 'width', 768);
  const textWidth = field(text, 'width', 512);
  const patch = field(vision, 'patch_size', 16);
  return {
    embed: field(json as Json, 'embed_dim'),
    vision: {
      width: visionWidth,
      layers: field(vision, 'layers', 12),
      // open_clip: mlp_width = int(width * mlp_ratio); grid = image_size // patch_size.
      mlp: Math.floor(visionWidth * field(vision, 'mlp_ratio', 4)),
      patch,
      grid: Math.floor(field(vision, 'image_size', 224) / patch),
    },
    text: {
      width: textWidth,
      layers: field(text, 'layers', 12),
      mlp: Math.floor(textWidth * field(text, 'mlp_ratio', 4)),
      context: field(text, 'context_length', 77),
      vocab: field(text, 'vocab_size', 49408),
    },
  };
}

/** nn.MultiheadAttention of width d: packed q/k/v projection and the output projection, with biases. */
function attention(d: number): number {
  return 3 * d * d + 3 * d + d * d + d;
}

/** open_clip's ResidualAttentionBlock: ln_1, attn, ln_2, mlp.c_fc, mlp.c_proj. */
function block(width: number, mlp: number): number {
  return 2 * width + attention(width) + 2 * width + (width * mlp + mlp) + (mlp * width + width);
}

/** Parameters of the plain open_clip CLIP a ViT model config describes (no adapters). */
export function openClipParameterCount(json: unknown): ClipParameterCount {
  const { embed, vision: v, text: t } = towers(json);
  const vision =
    3 * v.patch * v.patch * v.width + // conv1 (no bias)
    v.width + // class_embedding
    (v.grid * v.grid + 1) * v.width + // positional_embedding
    2 * v.width + // ln_pre
    v.layers * block(v.width, v.mlp) +
    2 * v.width + // ln_post
    v.width * embed; // proj
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
 * b/2); plus the temperature `temp`.
 */
export function harmaParameterCount(json: unknown, options: HarmaCountOptions = {}): number {
  const b = options.bottleneck ?? 128;
  const half = b / 2;
  const { vision, text } = towers(json);
  const mmadapter = (width: number): number => 1 + (width * b + b) + (b * width + width) + attention(b);
  const bishare = 1 + (b * half + half) + (half * b + b) + attention(half);
  return vision.layers * (1 + mmadapter(vision.width)) + text.layers * (1 + mmadapter(text.width) + bishare) + 1;
}
