import { describe, expect, it } from 'vitest';
import { inShard, parseShard, shardOf } from './shard';

describe('gallery shards', () => {
  it('parses i/n and refuses what is not a shard', () => {
    expect(parseShard('0/1')).toEqual({ index: 0, count: 1 });
    expect(parseShard(' 3/4 ')).toEqual({ index: 3, count: 4 });
    expect(() => parseShard('4/4')).toThrow('i must be below n');
    expect(() => parseShard('0/0')).toThrow('n must be 1 to 1000000');
    expect(() => parseShard('1-4')).toThrow('is not a shard');
  });

  it('puts every path in exactly one shard, stably and roughly evenly', () => {
    const paths = Array.from({ length: 4000 }, (_, i) => `scenes/${i % 7}/tile-${i}.png`);
    const counts = [0, 0, 0, 0];
    for (const file of paths) {
      const owners = [0, 1, 2, 3].filter((index) => inShard(file, { index, count: 4 }));
      expect(owners).toEqual([shardOf(file, 4)]);
      counts[owners[0] as number] = (counts[owners[0] as number] as number) + 1;
    }
    for (const count of counts) expect(count).toBeGreaterThan(850);
    // A fixed value: the hash must never change, or a resumed job would re-shard its gallery.
    expect(shardOf('scenes/0/tile-0.png', 1000)).toBe(92);
    expect(inShard('anything.png', undefined)).toBe(true);
  });
});
