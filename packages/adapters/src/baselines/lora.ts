import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { Linear, Module, SeededRandom, type AttentionProjectionDelta, type Backbone, type BlockSite, type TowerName } from '@harma/core';
import { BaseAttachment } from '../attachment-base';
import { claimSlot } from '../insertion-slots';
import { describeIssues } from '../options-validation';
import { DEFAULT_TEMPERATURE } from '../temperature';

export const LORA_TARGETS = ['q', 'k', 'v'] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];

export interface LoraOptions {
  /** Rank r of each update B·A. Default: 8. */
  rank?: number;
  /** Scale numerator: the update is (alpha / rank)·B·A. Default: 8. */
  alpha?: number;
  /** Attention projections that get an update. Default: `['q', 'v']` (the LoRA paper's choice). */
  targets?: LoraTarget[];
  /** Adapted blocks per tower. Default: every block of both towers. */
  vision?: { blocks?: number[] };
  text?: { blocks?: number[] };
  /** Initial contrastive temperature `temp`, when the attachment creates it. Default: 0.07. */
  temperature?: number;
  /** Draws A (PyTorch's default Linear scheme, as the LoRA reference); B starts at zero. Default: seed `lora`. */
  rng?: SeededRandom;
}

export interface ResolvedLoraOptions {
  rank: number;
  alpha: number;
  targets: LoraTarget[];
  vision: { blocks: number[] };
  text: { blocks: number[] };
  temperature: number;
}

const towerSchema = z.object({ blocks: z.array(z.number().int().nonnegative()).optional() }).strict();
const schema = z
  .object({
    rank: z.number().int().positive().optional(),
    alpha: z.number().positive().finite().optional(),
    targets: z.array(z.enum(LORA_TARGETS)).nonempty().optional(),
    vision: towerSchema.optional(),
    text: towerSchema.optional(),
    temperature: z.number().positive().finite().optional(),
  })
  .strict();

export function resolveLoraOptions(backbone: Backbone, options: Omit<LoraOptions, 'rng'>, source = 'LoRA options'): ResolvedLoraOptions {
  const parsed = schema.safeParse(options);
  if (!parsed.success) throw new Error(describeIssues(parsed.error, source));
  const value = parsed.data;
  const blocks = (tower: TowerName): number[] => {
    const count = backbone.towers[tower].blocks.length;
    const given = value[tower]?.blocks ?? Array.from({ length: count }, (_, i) => i);
    given.forEach((index, position) => {
      if (index >= count) throw new Error(`${source}: ${tower}.blocks[${position}] = ${index}, but the ${tower} tower has ${count} blocks`);
    });
    return [...new Set(given)].sort((a, b) => a - b);
  };
  const chosen = new Set<LoraTarget>(value.targets ?? ['q', 'v']);
  const targets = LORA_TARGETS.filter((target) => chosen.has(target));
  return {
    rank: value.rank ?? 8,
    alpha: value.alpha ?? 8,
    targets,
    vision: { blocks: blocks('vision') },
    text: { blocks: blocks('text') },
    temperature: value.temperature ?? DEFAULT_TEMPERATURE,
  };
}

/** One low-rank update: `lora_A` [rank, width] then `lora_B` [width, rank], as PEFT names them. */
export class LoraUpdate extends Module {
  readonly lora_A: Linear;
  readonly lora_B: Linear;

  constructor(readonly width: number, readonly rank: number, rng: SeededRandom) {
    super();
    this.lora_A = this.register('lora_A', new Linear(width, rank, { bias: false, rng }));
    this.lora_B = this.register('lora_B', new Linear(rank, width, { bias: false }));
  }

  /** `x` [batch, tokens, width] → B·A·x [batch, tokens, width] (unscaled). */
  forward(x: tf.Tensor): tf.Tensor {
    return this.lora_B.forward(this.lora_A.forward(x));
  }

  /** The update as a matrix B·A [width, width] (rows: outputs), unscaled. */
  matrix(): tf.Tensor {
    return tf.matMul(this.lora_B.weight.value, this.lora_A.weight.value);
  }
}

interface LoraBlock {
  site: BlockSite;
  updates: Map<LoraTarget, LoraUpdate>;
  /** The attention input projection before merging, while merged. */
  snapshot?: tf.Tensor;
}

/**
 * LoRA on the attention q/k/v projections of chosen blocks: `q += (alpha/rank)·B·A·x`. Unmerged it
 * runs through the backbone's attention projection delta; `merge()` folds the updates into the
 * packed `attentionInProjection` weights for inference and `unmerge()` restores them exactly.
 */
export class LoraAttachment extends BaseAttachment<ResolvedLoraOptions, 'lora'> {
  readonly #blocks: LoraBlock[];
  #merged = false;

  constructor(backbone: Backbone, options: LoraOptions = {}) {
    const { rng: givenRng, ...data } = options;
    const resolved = resolveLoraOptions(backbone, data, 'attachLora options');
    const rng = givenRng ?? new SeededRandom('lora');
    const blocks: LoraBlock[] = [];
    super('lora', backbone, resolved, resolved.temperature, (context) => {
      for (const tower of ['vision', 'text'] as const) {
        for (const index of resolved[tower].blocks) {
          const site = backbone.towers[tower].blocks[index] as BlockSite;
          context.onDetach(claimSlot(site.block, 'attention-projection', 'lora', site.path));
          if (site.block.child('lora') !== undefined) throw new Error(`${site.path}: the block already has a 'lora' child`);
          const container = new Module();
          const updates = new Map<LoraTarget, LoraUpdate>();
          for (const target of resolved.targets) updates.set(target, container.register(target, new LoraUpdate(site.width, resolved.rank, rng)));
          context.own(container);
          site.block.register('lora', container);
          context.onDetach(() => site.block.unregister('lora'));
          const block: LoraBlock = { site, updates };
          site.setAttentionProjectionDelta(loraDelta(block, resolved.alpha / resolved.rank));
          context.onDetach(() => {
            restoreWeights(block);
            site.setAttentionProjectionDelta(undefined);
          });
          blocks.push(block);
        }
      }
    });
    this.#blocks = blocks;
  }

  get merged(): boolean {
    return this.#merged;
  }

  /** Scale of every update, alpha / rank. */
  get scaling(): number {
    return this.options.alpha / this.options.rank;
  }

  /** Fold the updates into the attention weights (inference); the updates stop running separately. */
  merge(): void {
    if (this.#merged || !this.attached) return;
    for (const block of this.#blocks) {
      const weight = block.site.attentionInProjection.weight;
      block.snapshot = tf.keep(tf.clone(weight.value));
      const merged = tf.tidy(() => {
        const width = block.site.width;
        const rows = LORA_TARGETS.map((target) => {
          const update = block.updates.get(target);
          return update ? tf.mul(update.matrix(), this.scaling) : tf.zeros([width, width]);
        });
        return tf.add(weight.value, tf.concat(rows, 0));
      });
      weight.assign(merged);
      merged.dispose();
      block.site.setAttentionProjectionDelta(undefined);
    }
    this.#merged = true;
  }

  /** Restore the attention weights saved by `merge()` exactly, and run the updates separately again. */
  unmerge(): void {
    if (!this.#merged) return;
    for (const block of this.#blocks) {
      restoreWeights(block);
      block.site.setAttentionProjectionDelta(loraDelta(block, this.scaling));
    }
    this.#merged = false;
  }
}

/** Put back the attention weights saved by `merge()`. */
function restoreWeights(block: LoraBlock): void {
  if (!block.snapshot) return;
  block.site.attentionInProjection.weight.assign(block.snapshot);
  block.snapshot.dispose();
  block.snapshot = undefined;
}

/** The scaled updates of one block, added by the backbone to its q/k/v projections. */
function loraDelta(block: LoraBlock, scaling: number): AttentionProjectionDelta {
  return (input) => {
    const out: { q?: tf.Tensor; k?: tf.Tensor; v?: tf.Tensor } = {};
    for (const [target, update] of block.updates) out[target] = tf.tidy(() => tf.mul(update.forward(input), scaling));
    return out;
  };
}

/** Attach LoRA (rank r on the attention q/v projections by default) to any backbone of the core contract. */
export function attachLora(backbone: Backbone, options: LoraOptions = {}): LoraAttachment {
  return new LoraAttachment(backbone, options);
}
