import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '@harma/core';
import { readCaptionDataset } from '@harma/data';

export interface SplitAnnotationsOptions {
  /** Folder the three files go to (created when missing). */
  out: string;
  /** Training images that validate when the file has no `val` split. */
  valImages?: number;
  seed?: string;
}

/**
 * `harma split-annotations`: a `dataset_*.json` file (RSITMD's, RSICD's) as the three HarMA/PIR
 * annotation files a run config names — `<name>_train.json`, `<name>_val.json`, `<name>_test.json`
 * in `out` — with their image paths relative to the same image folder. Refuses to overwrite.
 * Returns the files written and their counts.
 */
export async function splitAnnotationsCommand(file: string, options: SplitAnnotationsOptions): Promise<string> {
  const split = await readCaptionDataset(file, { ...(options.valImages === undefined ? {} : { valImages: options.valImages }), ...(options.seed === undefined ? {} : { seed: options.seed }) });
  const files = (['train', 'val', 'test'] as const).map((which) => [which, path.join(options.out, `${split.name}_${which}.json`)] as const);
  const taken = files.filter(([, target]) => existsSync(target)).map(([, target]) => target);
  if (taken.length > 0) throw new Error(`${taken.join(', ')} already exist${taken.length === 1 ? 's' : ''}; remove ${taken.length === 1 ? 'it' : 'them'} or choose another --out`);
  await fs.mkdir(options.out, { recursive: true });
  for (const [which, target] of files) await writeFileAtomic(target, `${JSON.stringify(split[which])}\n`);
  const count = (n: number, noun: string): string => `${n.toLocaleString('en')} ${noun}${n === 1 ? '' : 's'}`;
  const images = (entries: ReadonlyArray<{ image: string }>): number => new Set(entries.map((e) => e.image)).size;
  return [
    `${files[0]![1]}: ${count(split.train.length, 'caption')} of ${count(images(split.train), 'image')}`,
    `${files[1]![1]}: ${count(split.val.length, 'image')}`,
    `${files[2]![1]}: ${count(split.test.length, 'image')}`,
  ].join('\n');
}
