import { createBackbone, type Backbone, type Parameter, type TowerName } from '@harma/core';
import { adapterMethod, isAdapterKind, type AdapterMethodName } from '@harma/adapters';
import { ensureBuiltInBackbones } from '@harma/backbones';
import { resolveBackboneName } from './backbone-name';

export interface ParameterGroup {
  name: string;
  parameters: number;
  trainable: boolean;
}

export interface ParameterCounts {
  /** The backbone as named: a shipped config name or a config file path. */
  backbone: string;
  /** The backbone registry kind that built it (`clip`). */
  kind: string;
  adapter: string;
  trainableMode: 'adapters' | 'full';
  groups: ParameterGroup[];
  total: number;
  trainable: number;
  percent: number;
}

export interface CountOptions {
  /** A name of @harma/adapters' `ADAPTER_METHODS`, attached with its default options. Default: `harma`. */
  adapter?: AdapterMethodName;
  /** What trains: the method's own freezing (`adapters`) or everything but `logit_scale` (`full`). Default: `adapters`. */
  trainable?: 'adapters' | 'full';
}

/** The tower a parameter belongs to: the one whose state-dict path prefixes its name, else the tower at the root. */
function towerOf(name: string, backbone: Backbone): TowerName {
  const towers = [backbone.towers.vision, backbone.towers.text];
  const nested = towers.find((tower) => tower.path !== '' && name.startsWith(`${tower.path}.`));
  return (nested ?? towers.find((tower) => tower.path === '') ?? backbone.towers.text).name;
}

/** Which group a parameter belongs to in `harma info`, by its state-dict name. */
function groupOf(name: string, attached: Set<string>, backbone: Backbone): string {
  const tower = towerOf(name, backbone);
  if (name === 'temp') return 'temperature (temp)';
  if (attached.has(name)) {
    if (/gate1$/.test(name)) return `${tower} gates`;
    if (name.includes('BiShareAdapter')) return `${tower} BiShareAdapters`;
    return `${tower} adapters`;
  }
  if (name === 'logit_scale') return 'logit_scale';
  return `${tower} backbone`;
}

/**
 * Counts of a backbone (a shipped config name such as `ViT-H-14`, or an open_clip model config
 * .json path) with an adapter method, built with zero weights (no file, no random draws in the
 * backbone), grouped for display. ViT-B/32 + HarMA: 5,934,397 trainable of 157,211,710.
 *
 * Run it on the cpu backend, as `harma info` does: its zero tensors are typed arrays whose pages
 * the OS maps only when written, so a fresh process counts ViT-bigG-14 in about a second and a few
 * hundred MB, whereas the wasm backend holds every zero in its heap (ViT-H-14 needs 4 GB there,
 * larger sizes do not fit).
 */
export async function countFor(backboneName: string, options: CountOptions = {}): Promise<ParameterCounts> {
  const adapter = options.adapter ?? 'harma';
  const trainableMode = options.trainable ?? 'adapters';
  const { kind, config } = await resolveBackboneName(backboneName);
  ensureBuiltInBackbones();
  const backbone = await createBackbone(kind, { config });
  try {
    // Each method with its default options: info has no config to take them from.
    const attachment = isAdapterKind(adapter) ? adapterMethod(adapter).attach(backbone, {}) : undefined;
    if (trainableMode === 'full') {
      backbone.module.unfreeze();
      backbone.module.freeze('logit_scale');
    } else if (attachment) attachment.freeze();
    else backbone.module.freeze();
    const attached = new Set((attachment?.namedParameters({ duplicates: true }) ?? []).map(([name]) => name));
    const groups = new Map<string, ParameterGroup>();
    for (const [name, parameter] of backbone.module.namedParameters() as Array<[string, Parameter]>) {
      const group = groupOf(name, attached, backbone);
      const entry = groups.get(group) ?? { name: group, parameters: 0, trainable: parameter.trainable };
      entry.parameters += parameter.size;
      entry.trainable ||= parameter.trainable;
      groups.set(group, entry);
    }
    const { total, trainable } = backbone.module.countParameters();
    return { backbone: backboneName, kind, adapter, trainableMode, groups: [...groups.values()], total, trainable, percent: (100 * trainable) / total };
  } finally {
    backbone.dispose();
  }
}
