import { createHash } from 'node:crypto';

/** One of `count` disjoint parts of a gallery, numbered from 0. */
export interface Shard {
  index: number;
  count: number;
}

/** Parse `i/n` (0 ≤ i < n). */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (match === null) throw new Error(`"${text}" is not a shard: write i/n, e.g. 0/4`);
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1 || count > 1_000_000) throw new Error(`shard ${text}: n must be 1 to 1000000`);
  if (index >= count) throw new Error(`shard ${text}: i must be below n (0 to ${count - 1})`);
  return { index, count };
}

/** The first 6 bytes of the SHA-256 of a gallery-relative path, as a number (stored by the Lance store so that a shard's rows can be selected in SQL). */
export function pathKey(relativePath: string): number {
  return createHash('sha256').update(relativePath).digest().readUIntBE(0, 6);
}

/**
 * The shard a gallery-relative path belongs to among `count`: `pathKey` modulo `count`. It depends
 * on the path alone, so every machine, process and run agrees, and a file always goes to the same
 * writer (two shard processes never write one path).
 */
export function shardOf(relativePath: string, count: number): number {
  return pathKey(relativePath) % count;
}

/** Whether `relativePath` is in `shard` (every path is when no shard is given). */
export function inShard(relativePath: string, shard: Shard | undefined): boolean {
  return shard === undefined || shardOf(relativePath, shard.count) === shard.index;
}
