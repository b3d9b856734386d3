import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { defaultTrainingThreads } from './training-threads';

describe('defaultTrainingThreads', () => {
  it('uses every core on wasm and cpu, one on the native backends, HARMA_THREADS over both', () => {
    expect(defaultTrainingThreads('wasm', {})).toBe(os.availableParallelism());
    expect(defaultTrainingThreads('cpu', {})).toBe(os.availableParallelism());
    expect(defaultTrainingThreads('tensorflow', {})).toBe(1);
    expect(defaultTrainingThreads('tensorflow-gpu', { HARMA_THREADS: '' })).toBe(1);
    expect(defaultTrainingThreads('wasm', { HARMA_THREADS: '3' })).toBe(3);
    expect(() => defaultTrainingThreads('wasm', { HARMA_THREADS: 'two' })).toThrow('HARMA_THREADS=two is not a positive integer');
    expect(() => defaultTrainingThreads('wasm', { HARMA_THREADS: '0' })).toThrow(/not a positive integer/);
  });
});
