import { z } from 'zod';
import type { Backbone, SeededRandom, TowerName } from '@harma/core';
import { describeIssues } from '../options-validation';
import { DEFAULT_TEMPERATURE } from '../temperature';
import { GATE_INIT } from './bishare-adapter';

const towerSchema = z
  .object({
    bottleneck: z.number().int().positive().optional(),
    heads: z.number().int().positive().optional(),
    blocks: z.array(z.number().int().nonnegative()).optional(),
  })
  .strict();

/** Where BiShareAdapters go: the text tower's adapters (official), both towers' (one shared module per block index), or none. */
export const BISHARE_PLACEMENTS = ['text', 'both', 'none'] as const;
export type BisharePlacement = (typeof BISHARE_PLACEMENTS)[number];

const optionsSchema = z
  .object({
    vision: towerSchema.optional(),
    text: towerSchema.optional(),
    bishare: z.enum(BISHARE_PLACEMENTS).optional(),
    bishareHeads: z.number().int().positive().optional(),
    gateInit: z.number().finite().optional(),
    temperature: z.number().positive().finite().optional(),
  })
  .strict();

export interface HarmaTowerOptions {
  /** Down-projection width of the MMadapters of this tower. Default: 128 (official). */
  bottleneck?: number;
  /** Heads of the MMadapter attention. Default: 8 (official). */
  heads?: number;
  /** Indices of the blocks that get an adapter. Default: every block; `[]` leaves the tower plain. */
  blocks?: number[];
}

export interface HarmaOptions {
  vision?: HarmaTowerOptions;
  text?: HarmaTowerOptions;
  /**
   * BiShareAdapter placement. `text` (default, the official model): one in each text adapter.
   * `both`: block i of each tower shares one BiShareAdapter (same module, parameters counted once;
   * the towers' bottlenecks must match). `none`: no BiShareAdapter.
   */
  bishare?: BisharePlacement;
  /** Heads of the BiShareAdapter attention (width bottleneck/2). Default: 8 (official). */
  bishareHeads?: number;
  /** Initial value of every gate before the sigmoid. Default: 0.6 (official). */
  gateInit?: number;
  /** Initial contrastive temperature `temp`, when the attachment creates it. Default: 0.07. */
  temperature?: number;
  /**
   * Draws the initial down-projections, `l1` and attention weights (PyTorch's default schemes;
   * `img_proj_up` and `l2` start at zero). Default: a stream seeded with `harma-adapters`.
   */
  rng?: SeededRandom;
}

export interface ResolvedHarmaTower {
  bottleneck: number;
  heads: number;
  /** Adapted block indices, ascending. */
  blocks: number[];
}

/** Every option with its value: the JSON an adapters file records. */
export interface ResolvedHarmaOptions {
  vision: ResolvedHarmaTower;
  text: ResolvedHarmaTower;
  bishare: BisharePlacement;
  bishareHeads: number;
  gateInit: number;
  temperature: number;
}

/**
 * Validate options against a backbone and fill in the defaults. `source` names where they came
 * from (`attachHarma options`, an adapters file) in errors.
 */
export function resolveHarmaOptions(backbone: Backbone, options: Omit<HarmaOptions, 'rng'>, source = 'HarMA options'): ResolvedHarmaOptions {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) throw new Error(describeIssues(parsed.error, source));
  const value = parsed.data;
  const tower = (name: TowerName): ResolvedHarmaTower => {
    const given = value[name] ?? {};
    const count = backbone.towers[name].blocks.length;
    const blocks = given.blocks ?? Array.from({ length: count }, (_, i) => i);
    const seen = new Set<number>();
    for (const [position, index] of blocks.entries()) {
      if (index >= count) throw new Error(`${source}: ${name}.blocks[${position}] = ${index}, but the ${name} tower has ${count} blocks`);
      if (seen.has(index)) throw new Error(`${source}: ${name}.blocks[${position}] repeats block ${index}`);
      seen.add(index);
    }
    return { bottleneck: given.bottleneck ?? 128, heads: given.heads ?? 8, blocks: [...blocks].sort((a, b) => a - b) };
  };
  const resolved: ResolvedHarmaOptions = {
    vision: tower('vision'),
    text: tower('text'),
    bishare: value.bishare ?? 'text',
    bishareHeads: value.bishareHeads ?? 8,
    gateInit: value.gateInit ?? GATE_INIT,
    temperature: value.temperature ?? DEFAULT_TEMPERATURE,
  };
  if (resolved.bishare === 'both' && resolved.vision.bottleneck !== resolved.text.bottleneck) {
    throw new Error(
      `${source}: bishare 'both' shares one BiShareAdapter per block between the towers, so vision.bottleneck (${resolved.vision.bottleneck}) must equal text.bottleneck (${resolved.text.bottleneck})`,
    );
  }
  return resolved;
}
