import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/**
 * Run `step` (which must dispose what it gets) once per micro-batch setting to warm up, then
 * again, and expect the engine to hold as many tensors as between the two rounds.
 */
export function expectFlatTensorCount(step: (microBatchSize?: number) => void, microBatchSizes: ReadonlyArray<number | undefined> = [undefined, 2]): void {
  for (const size of microBatchSizes) step(size);
  const before = tf.memory().numTensors;
  for (const size of microBatchSizes) step(size);
  expect(tf.memory().numTensors).toBe(before);
}
