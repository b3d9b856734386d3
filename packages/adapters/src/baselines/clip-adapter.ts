import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { Linear, Module, SeededRandom, type Backbone, type TowerName } from '@harma/core';
import { BaseAttachment } from '../attachment-base';
import { claimSlot } from '../insertion-slots';
import { describeIssues } from '../options-validation';
import { DEFAULT_TEMPERATURE } from '../temperature';

export interface ClipAdapterOptions {
  /** Residual ratio α: features become α·MLP(f) + (1 − α)·f. Default: 0.2 (the CLIP-Adapter paper). */
  ratio?: number;
  /** Hidden width of the MLP is embed / reduction. Default: 4. */
  reduction?: number;
  /** Towers whose features get an adapter. Default: both. */
  towers?: TowerName[];
  /** Initial contrastive temperature `temp`, when the attachment creates it. Default: 0.07. */
  temperature?: number;
  /** Draws the MLP weights (PyTorch's default Linear scheme). Default: seed `clip-adapter`. */
  rng?: SeededRandom;
}

export interface ResolvedClipAdapterOptions {
  ratio: number;
  reduction: number;
  towers: TowerName[];
  temperature: number;
}

const schema = z
  .object({
    ratio: z.number().min(0).max(1).optional(),
    reduction: z.number().int().positive().optional(),
    towers: z.array(z.enum(['vision', 'text'])).optional(),
    temperature: z.number().positive().finite().optional(),
  })
  .strict();

export function resolveClipAdapterOptions(options: Omit<ClipAdapterOptions, 'rng'>, source = 'CLIP-Adapter options'): ResolvedClipAdapterOptions {
  const parsed = schema.safeParse(options);
  if (!parsed.success) throw new Error(describeIssues(parsed.error, source));
  const chosen = new Set<TowerName>(parsed.data.towers ?? ['vision', 'text']);
  const towers = (['vision', 'text'] as const).filter((tower) => chosen.has(tower));
  return {
    ratio: parsed.data.ratio ?? 0.2,
    reduction: parsed.data.reduction ?? 4,
    towers,
    temperature: parsed.data.temperature ?? DEFAULT_TEMPERATURE,
  };
}

/** Module names the adapters get on their tower module. */
const ADAPTER_NAMES: Record<TowerName, string> = { vision: 'image_adapter', text: 'text_adapter' };

/**
 * CLIP-Adapter's bottleneck MLP (Gao et al. 2021): `fc.0` Linear(embed → embed/reduction, no
 * bias), ReLU, `fc.2` Linear(back to embed, no bias), ReLU — the official module's layout.
 */
export class ClipAdapterMlp extends Module {
  readonly down: Linear;
  readonly up: Linear;

  constructor(readonly embedDim: number, reduction: number, rng: SeededRandom) {
    super();
    const hidden = Math.floor(embedDim / reduction);
    if (hidden < 1) throw new Error(`CLIP-Adapter: embed width ${embedDim} / reduction ${reduction} leaves no hidden unit`);
    const fc = this.register('fc', new Module());
    this.down = fc.register('0', new Linear(embedDim, hidden, { bias: false, rng }));
    this.up = fc.register('2', new Linear(hidden, embedDim, { bias: false, rng }));
  }

  /** `features` [batch, embed] → [batch, embed]. */
  forward(features: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.relu(this.up.forward(tf.relu(this.down.forward(features)))));
  }
}

/** CLIP-Adapter attached to a backbone: a residual MLP on the final (unnormalised) features of chosen towers. */
export class ClipAdapterAttachment extends BaseAttachment<ResolvedClipAdapterOptions, 'clip-adapter'> {
  readonly adapters: ReadonlyMap<TowerName, ClipAdapterMlp>;

  constructor(backbone: Backbone, options: ClipAdapterOptions = {}) {
    const { rng: givenRng, ...data } = options;
    const resolved = resolveClipAdapterOptions(data, 'attachClipAdapter options');
    const rng = givenRng ?? new SeededRandom('clip-adapter');
    const adapters = new Map<TowerName, ClipAdapterMlp>();
    super('clip-adapter', backbone, resolved, resolved.temperature, (context) => {
      for (const name of resolved.towers) {
        const tower = backbone.towers[name];
        const where = tower.path === '' ? `${name} tower (root)` : tower.path;
        context.onDetach(claimSlot(tower, 'output', 'clip-adapter', where));
        const moduleName = ADAPTER_NAMES[name];
        if (tower.module.child(moduleName) !== undefined) throw new Error(`${where}: the tower module already has a '${moduleName}'`);
        const mlp = new ClipAdapterMlp(tower.embedDim, resolved.reduction, rng);
        context.own(mlp);
        tower.module.register(moduleName, mlp);
        context.onDetach(() => tower.module.unregister(moduleName));
        const ratio = resolved.ratio;
        tower.setOutputTransform((features) =>
          tf.tidy(() => tf.add(tf.mul(ratio, mlp.forward(features)), tf.mul(1 - ratio, features))),
        );
        context.onDetach(() => tower.setOutputTransform(undefined));
        adapters.set(name, mlp);
      }
    });
    this.adapters = adapters;
  }
}

/** Attach CLIP-Adapter (residual MLP on the final features, ratio α) to any backbone of the core contract. */
export function attachClipAdapter(backbone: Backbone, options: ClipAdapterOptions = {}): ClipAdapterAttachment {
  return new ClipAdapterAttachment(backbone, options);
}
