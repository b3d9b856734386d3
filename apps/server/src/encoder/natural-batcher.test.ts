import { describe, expect, it } from 'vitest';
import { NaturalBatcher } from './natural-batcher';

describe('NaturalBatcher', () => {
  it('runs the first request alone and merges the ones that arrive meanwhile, keeping each request whole', async () => {
    const calls: number[][] = [];
    const batcher = new NaturalBatcher<number, number>(async (items) => {
      calls.push([...items]);
      await new Promise((resolve) => setTimeout(resolve, 10));
      return items.map((x) => x * 10);
    }, 4);
    const results = await Promise.all([batcher.submit([1]), batcher.submit([2, 3]), batcher.submit([4]), batcher.submit([5, 6]), batcher.submit([7])]);
    expect(results).toEqual([[10], [20, 30], [40], [50, 60], [70]]);
    // [1] alone; then [2,3]+[4] (3 items; [5,6] would make 5 > 4); then [5,6]+[7].
    expect(calls).toEqual([[1], [2, 3, 4], [5, 6, 7]]);
  });

  it('fails only the requests of a failing call and keeps serving', async () => {
    let call = 0;
    const batcher = new NaturalBatcher<string, string>(async (items) => {
      call += 1;
      if (call === 1) throw new Error('model failed');
      return items.map((x) => x.toUpperCase());
    }, 8);
    const first = batcher.submit(['a']);
    const second = batcher.submit(['b']);
    await expect(first).rejects.toThrow('model failed');
    await expect(second).resolves.toEqual(['B']);
    await expect(batcher.submit([])).resolves.toEqual([]);
  });

  it('reports a model returning the wrong number of results', async () => {
    const batcher = new NaturalBatcher<number, number>(async () => [1], 8);
    await expect(batcher.submit([1, 2])).rejects.toThrow('returned 1 results for 2 inputs');
  });
});
