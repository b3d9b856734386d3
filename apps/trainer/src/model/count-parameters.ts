import { createBackbone, type Parameter } from '@harma/core';
import { adapterMethod, isAdapterKind, type AdapterMethodName } from '@harma/adapters';
import { ensureBuiltInBackbones } from '@harma/backbones';

export interface ParameterGroup {
  name: string;
  parameters: number;
  trainable: boolean;
}

export interface ParameterCounts {
  arch: string;
  adapter: string;
  trainableMode: 'adapters' | 'full';
  groups: ParameterGroup[];
  total: number;
  trainable: number;
  percent: number;
}

/** Which group a parameter belongs to in `harma info`, by its state-dict name. */
function groupOf(name: string, attached: Set<string>): string {
  const tower = name.startsWith('visual.') ? 'vision' : 'text';
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
 * Counts of an architecture with an adapter method, built with zero weights (no file, no random
 * draws), grouped for display. ViT-B/32 + HarMA: 5,934,397 trainable of 157,211,710.
 */
export async function countFor(arch: string, adapter: AdapterMethodName, trainableMode: 'adapters' | 'full'): Promise<ParameterCounts> {
  ensureBuiltInBackbones();
  const backbone = await createBackbone('clip', { config: arch });
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
      const group = groupOf(name, attached);
      const entry = groups.get(group) ?? { name: group, parameters: 0, trainable: parameter.trainable };
      entry.parameters += parameter.size;
      entry.trainable ||= parameter.trainable;
      groups.set(group, entry);
    }
    const { total, trainable } = backbone.module.countParameters();
    return { arch, adapter, trainableMode, groups: [...groups.values()], total, trainable, percent: (100 * trainable) / total };
  } finally {
    backbone.dispose();
  }
}
