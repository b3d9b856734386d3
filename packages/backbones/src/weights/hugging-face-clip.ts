import * as tf from '@tensorflow/tfjs-core';
import { WeightFileError } from './weight-file-error';

/** Hugging Face `CLIPModel` names of a tower and the open_clip prefix of the same tower. */
const TOWERS = [
  { hf: 'vision_model.', openClip: 'visual.' },
  { hf: 'text_model.', openClip: '' },
] as const;

/** Renames inside a tower (after its prefix); `{i}` is the block index. */
const TOWER_RENAMES: Array<[RegExp, (match: RegExpMatchArray, towerPrefix: string) => string]> = [
  [/^embeddings\.class_embedding$/, (_, t) => `${t}class_embedding`],
  [/^embeddings\.patch_embedding\.weight$/, (_, t) => `${t}conv1.weight`],
  [/^embeddings\.position_embedding\.weight$/, (_, t) => `${t}positional_embedding`],
  [/^embeddings\.token_embedding\.weight$/, (_, t) => `${t}token_embedding.weight`],
  [/^pre_layrnorm\.(weight|bias)$/, (m, t) => `${t}ln_pre.${m[1]}`],
  [/^post_layernorm\.(weight|bias)$/, (m, t) => `${t}ln_post.${m[1]}`],
  [/^final_layer_norm\.(weight|bias)$/, (m) => `ln_final.${m[1]}`],
  [/^encoder\.layers\.(\d+)\.layer_norm1\.(weight|bias)$/, (m, t) => `${t}transformer.resblocks.${m[1]}.ln_1.${m[2]}`],
  [/^encoder\.layers\.(\d+)\.layer_norm2\.(weight|bias)$/, (m, t) => `${t}transformer.resblocks.${m[1]}.ln_2.${m[2]}`],
  [/^encoder\.layers\.(\d+)\.mlp\.fc1\.(weight|bias)$/, (m, t) => `${t}transformer.resblocks.${m[1]}.mlp.c_fc.${m[2]}`],
  [/^encoder\.layers\.(\d+)\.mlp\.fc2\.(weight|bias)$/, (m, t) => `${t}transformer.resblocks.${m[1]}.mlp.c_proj.${m[2]}`],
  [/^encoder\.layers\.(\d+)\.self_attn\.out_proj\.(weight|bias)$/, (m, t) => `${t}transformer.resblocks.${m[1]}.attn.out_proj.${m[2]}`],
];

const QKV = /^encoder\.layers\.(\d+)\.self_attn\.([qkv])_proj\.(weight|bias)$/;

/** Whether a state dict uses Hugging Face `CLIPModel` names (`vision_model.…`, `text_model.…`, `visual_projection.weight`). */
export function isHuggingFaceClip(names: Iterable<string>): boolean {
  for (const name of names) {
    if (name.startsWith('vision_model.') || name.startsWith('text_model.') || name === 'visual_projection.weight') return true;
  }
  return false;
}

/**
 * Convert a Hugging Face `CLIPModel` state dict to open_clip names: q/k/v projections packed into
 * `attn.in_proj_*` (q | k | v rows), `visual_projection.weight` / `text_projection.weight`
 * transposed into `visual.proj` / `text_projection`, `position_ids` buffers dropped. Names outside
 * the two towers and the projections (adapters, `logit_scale`, `temp`) pass through. Consumes
 * `tensors`: tensors not passed through are disposed. Unknown tower names, incomplete q/k/v
 * triples and mis-shaped parts are errors naming `source` and the tensor.
 */
export function huggingFaceClipToOpenClip(tensors: Map<string, tf.Tensor>, source: string): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  const packed = new Map<string, Partial<Record<'q' | 'k' | 'v', tf.Tensor>>>();
  const put = (name: string, tensor: tf.Tensor, from: string): void => {
    if (out.has(name)) throw new WeightFileError(source, `converts to '${name}', which another tensor already gave`, from);
    out.set(name, tensor);
  };
  try {
    for (const [name, tensor] of tensors) {
      if (name === 'visual_projection.weight' || name === 'text_projection.weight') {
        put(name === 'visual_projection.weight' ? 'visual.proj' : 'text_projection', transpose2d(tensor, name, source), name);
        tensor.dispose();
        continue;
      }
      const tower = TOWERS.find((t) => name.startsWith(t.hf));
      if (!tower) {
        put(name, tensor, name);
        continue;
      }
      const rest = name.slice(tower.hf.length);
      if (rest === 'embeddings.position_ids') {
        tensor.dispose();
        continue;
      }
      const qkv = rest.match(QKV);
      if (qkv) {
        const target = `${tower.openClip}transformer.resblocks.${qkv[1]}.attn.in_proj_${qkv[3]}`;
        const parts = packed.get(target) ?? {};
        parts[qkv[2] as 'q' | 'k' | 'v'] = tensor;
        packed.set(target, parts);
        continue;
      }
      const rename = TOWER_RENAMES.find(([pattern]) => pattern.test(rest));
      if (!rename) throw new WeightFileError(source, 'is not a Hugging Face CLIPModel tensor HarMA.js knows how to convert', name);
      put(rename[1](rest.match(rename[0]) as RegExpMatchArray, tower.openClip), tensor, name);
    }
    for (const [target, parts] of packed) {
      const missing = (['q', 'k', 'v'] as const).filter((part) => parts[part] === undefined);
      if (missing.length > 0) {
        throw new WeightFileError(source, `the ${missing.join(', ')} projection(s) are missing, so the packed attention projection cannot be built`, target);
      }
      const pieces = [parts.q, parts.k, parts.v] as tf.Tensor[];
      if (!pieces.every((piece) => tf.util.arraysEqual(piece.shape, pieces[0]?.shape ?? []))) {
        throw new WeightFileError(source, `q/k/v projections differ in shape (${pieces.map((p) => `[${p.shape}]`).join(', ')})`, target);
      }
      put(target, tf.concat(pieces, 0), target);
      for (const piece of pieces) piece.dispose();
    }
    packed.clear();
    return out;
  } catch (error) {
    for (const tensor of out.values()) tensor.dispose();
    for (const parts of packed.values()) for (const piece of Object.values(parts)) piece?.dispose();
    throw error;
  }
}

/** Renames from open_clip to Hugging Face inside a tower; the inverse of TOWER_RENAMES. */
const OPEN_CLIP_RENAMES: Array<[RegExp, (match: RegExpMatchArray) => string]> = [
  [/^class_embedding$/, () => 'embeddings.class_embedding'],
  [/^conv1\.weight$/, () => 'embeddings.patch_embedding.weight'],
  [/^positional_embedding$/, () => 'embeddings.position_embedding.weight'],
  [/^token_embedding\.weight$/, () => 'embeddings.token_embedding.weight'],
  [/^ln_pre\.(weight|bias)$/, (m) => `pre_layrnorm.${m[1]}`],
  [/^ln_post\.(weight|bias)$/, (m) => `post_layernorm.${m[1]}`],
  [/^ln_final\.(weight|bias)$/, (m) => `final_layer_norm.${m[1]}`],
  [/^transformer\.resblocks\.(\d+)\.ln_1\.(weight|bias)$/, (m) => `encoder.layers.${m[1]}.layer_norm1.${m[2]}`],
  [/^transformer\.resblocks\.(\d+)\.ln_2\.(weight|bias)$/, (m) => `encoder.layers.${m[1]}.layer_norm2.${m[2]}`],
  [/^transformer\.resblocks\.(\d+)\.mlp\.c_fc\.(weight|bias)$/, (m) => `encoder.layers.${m[1]}.mlp.fc1.${m[2]}`],
  [/^transformer\.resblocks\.(\d+)\.mlp\.c_proj\.(weight|bias)$/, (m) => `encoder.layers.${m[1]}.mlp.fc2.${m[2]}`],
  [/^transformer\.resblocks\.(\d+)\.attn\.out_proj\.(weight|bias)$/, (m) => `encoder.layers.${m[1]}.self_attn.out_proj.${m[2]}`],
];

/**
 * Convert an open_clip CLIP state dict to Hugging Face `CLIPModel` names (the inverse of
 * `huggingFaceClipToOpenClip`, without the `position_ids` buffers, which transformers rebuilds).
 * Returns new tensors the caller owns; names that are not CLIP backbone names are left out.
 */
export function openClipToHuggingFaceClip(tensors: ReadonlyMap<string, tf.Tensor>): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const [name, tensor] of tensors) {
    if (name === 'visual.proj') out.set('visual_projection.weight', tf.transpose(tensor));
    else if (name === 'text_projection') out.set('text_projection.weight', tf.transpose(tensor));
    else if (name === 'logit_scale') out.set(name, tf.clone(tensor));
    else {
      const vision = name.startsWith('visual.');
      const rest = vision ? name.slice('visual.'.length) : name;
      const hfPrefix = vision ? 'vision_model.' : 'text_model.';
      const inProj = rest.match(/^transformer\.resblocks\.(\d+)\.attn\.in_proj_(weight|bias)$/);
      if (inProj) {
        const [q, k, v] = tf.split(tensor, 3, 0) as [tf.Tensor, tf.Tensor, tf.Tensor];
        for (const [part, piece] of [['q', q], ['k', k], ['v', v]] as const) {
          out.set(`${hfPrefix}encoder.layers.${inProj[1]}.self_attn.${part}_proj.${inProj[2]}`, piece);
        }
        continue;
      }
      const rename = OPEN_CLIP_RENAMES.find(([pattern]) => pattern.test(rest));
      if (rename) out.set(`${hfPrefix}${rename[1](rest.match(rename[0]) as RegExpMatchArray)}`, tf.clone(tensor));
    }
  }
  return out;
}

function transpose2d(tensor: tf.Tensor, name: string, source: string): tf.Tensor {
  if (tensor.rank !== 2) throw new WeightFileError(source, `has shape [${tensor.shape}], expected a matrix`, name);
  return tf.transpose(tensor);
}
