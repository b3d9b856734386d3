import type { AdapterMethodName } from '@harma/adapters';
import { countFor } from '../model/count-parameters';

export interface InfoOptions {
  /** A shipped backbone config name (`ViT-B-32`, `ViT-H-14`, …) or an open_clip model config .json path. Default: ViT-B-32. */
  backbone?: string;
  /** A name of @harma/adapters' `ADAPTER_METHODS`. Default: harma. */
  adapter?: AdapterMethodName;
  /** What trains. Default: adapters. */
  trainable?: 'adapters' | 'full';
  /** JSON instead of a table. Default: false. */
  json?: boolean;
}

/** `harma info`: parameter counts per group for a backbone and adapter method (no weights needed). */
export async function infoCommand(options: InfoOptions): Promise<string> {
  const counts = await countFor(options.backbone ?? 'ViT-B-32', { adapter: options.adapter, trainable: options.trainable });
  if (options.json) return JSON.stringify(counts, null, 2);
  const rows = counts.groups.map((g) => `  ${g.name.padEnd(28)} ${g.parameters.toLocaleString('en').padStart(14)}  ${g.trainable ? 'trainable' : 'frozen'}`);
  return [
    `${counts.backbone} + ${counts.adapter} (${counts.trainableMode})`,
    ...rows,
    `  ${'total'.padEnd(28)} ${counts.total.toLocaleString('en').padStart(14)}`,
    `  ${'trainable'.padEnd(28)} ${counts.trainable.toLocaleString('en').padStart(14)}  (${counts.percent.toFixed(2)} %)`,
  ].join('\n');
}
