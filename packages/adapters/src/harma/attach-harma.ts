import * as tf from '@tensorflow/tfjs-core';
import { Parameter, SeededRandom, type Backbone, type BlockSite, type TowerName } from '@harma/core';
import { BaseAttachment, type AttachContext } from '../attachment-base';
import { claimSlot } from '../insertion-slots';
import { BiShareAdapter } from './bishare-adapter';
import { freezeForHarma } from './freeze';
import { resolveHarmaOptions, type HarmaOptions, type ResolvedHarmaOptions } from './harma-options';
import { MMadapter, gatedAdapterTransform } from './mm-adapter';

/** One adapted block: where it sits, its MMadapter and its block gate. */
export interface HarmaBlockAdapter {
  readonly site: BlockSite;
  readonly adapter: MMadapter;
  /** The block gate `gate1` mixing adapter and MLP output. */
  readonly gate: Parameter;
}

/** State-dict names the attachment registers on each adapted block (the official ones). */
const BLOCK_GATE = 'gate1';
const BLOCK_ADAPTER = 'mmadapter';

/** HarMA attached to a backbone: MMadapters and gates in the chosen blocks, and `temp`. */
export class HarmaAttachment extends BaseAttachment<ResolvedHarmaOptions, 'harma'> {
  readonly adapters: readonly HarmaBlockAdapter[];

  constructor(backbone: Backbone, options: HarmaOptions = {}) {
    const { rng: givenRng, ...data } = options;
    const resolved = resolveHarmaOptions(backbone, data, 'attachHarma options');
    const rng = givenRng ?? new SeededRandom('harma-adapters');
    let adapters: HarmaBlockAdapter[] = [];
    super('harma', backbone, resolved, resolved.temperature, (context) => {
      adapters = buildAdapters(backbone, resolved, rng, context);
    });
    this.adapters = adapters;
  }

  /** The paper's freezing: see `freezeForHarma`. */
  override freeze(): void {
    freezeForHarma(this.backbone);
  }
}

function buildAdapters(backbone: Backbone, options: ResolvedHarmaOptions, rng: SeededRandom, context: AttachContext): HarmaBlockAdapter[] {
  const out: HarmaBlockAdapter[] = [];
  const shared = new Map<number, BiShareAdapter>();
  const bishareFor = (tower: TowerName, index: number): BiShareAdapter | undefined => {
    if (options.bishare === 'none' || (options.bishare === 'text' && tower !== 'text')) return undefined;
    const existing = shared.get(index);
    if (existing) return existing;
    const created = new BiShareAdapter(options[tower].bottleneck, { heads: options.bishareHeads, rng, gateInit: options.gateInit });
    context.own(created);
    shared.set(index, created);
    return created;
  };
  for (const tower of ['vision', 'text'] as const) {
    const settings = options[tower];
    for (const index of settings.blocks) {
      const site = backbone.towers[tower].blocks[index] as BlockSite;
      context.onDetach(claimSlot(site.block, 'mlp', 'harma', site.path));
      for (const name of [BLOCK_GATE, BLOCK_ADAPTER]) {
        if (site.block.child(name) !== undefined) throw new Error(`${site.path}: the block already has a '${name}'; is HarMA attached already?`);
      }
      const adapter = new MMadapter(site.width, {
        bottleneck: settings.bottleneck,
        heads: settings.heads,
        share: bishareFor(tower, index),
        rng,
        gateInit: options.gateInit,
      });
      const gate = new Parameter(tf.scalar(options.gateInit));
      context.own(adapter);
      context.own(gate);
      site.block.register(BLOCK_GATE, gate);
      context.onDetach(() => site.block.unregister(BLOCK_GATE));
      site.block.register(BLOCK_ADAPTER, adapter);
      context.onDetach(() => site.block.unregister(BLOCK_ADAPTER));
      site.setMlpTransform(gatedAdapterTransform(gate, adapter));
      context.onDetach(() => site.setMlpTransform(undefined));
      out.push({ site, adapter, gate });
    }
  }
  return out;
}

/**
 * Attach HarMA to any backbone of the core contract: one MMadapter behind a block gate on the MLP
 * branch of each chosen block (default: every block of both towers), BiShareAdapters in the text
 * tower's adapters (default), and the temperature `temp` on `backbone.module`. Parameter names are
 * the official ones, so HarMA checkpoints load. The adapted model equals the plain backbone until
 * trained (zero-initialised up-projections). Call `freeze()` (or `freezeForHarma`) to train as the paper.
 */
export function attachHarma(backbone: Backbone, options: HarmaOptions = {}): HarmaAttachment {
  return new HarmaAttachment(backbone, options);
}
