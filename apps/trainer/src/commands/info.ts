import type { AdapterMethodName } from '@harma/adapters';
import { countFor } from '../model/count-parameters';

export interface InfoOptions {
  /** Shipped architecture name or open_clip config path. Default: ViT-B-32. */
  arch?: string;
  /** A name of @harma/adapters' `ADAPTER_METHODS`. Default: harma. */
  adapter?: AdapterMethodName;
  trainable?: 'adapters' | 'full';
  json?: boolean;
}

/** `harma info`: parameter counts per group for an architecture and adapter method (no weights needed). */
export async function infoCommand(options: InfoOptions): Promise<string> {
  const counts = await countFor(options.arch ?? 'ViT-B-32', options.adapter ?? 'harma', options.trainable ?? 'adapters');
  if (options.json) return JSON.stringify(counts, null, 2);
  const rows = counts.groups.map((g) => `  ${g.name.padEnd(28)} ${g.parameters.toLocaleString('en').padStart(14)}  ${g.trainable ? 'trainable' : 'frozen'}`);
  return [
    `${counts.arch} + ${counts.adapter} (${counts.trainableMode})`,
    ...rows,
    `  ${'total'.padEnd(28)} ${counts.total.toLocaleString('en').padStart(14)}`,
    `  ${'trainable'.padEnd(28)} ${counts.trainable.toLocaleString('en').padStart(14)}  (${counts.percent.toFixed(2)} %)`,
  ].join('\n');
}
