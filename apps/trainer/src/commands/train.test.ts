import { describe, expect, it } from 'vitest';
import type { TrainRunResult } from '../train/run-training';
import { describeStop } from './train';

/** A stopped run's result, where it stands: 2 epochs of 8 steps. */
function stoppedAt(epochsDone: number, stepInEpoch: number): TrainRunResult {
  return {
    output: 'runs/x', completed: false, interrupted: true, globalStep: epochsDone * 8 + stepInEpoch, totalSteps: 16,
    epochsDone, stepInEpoch, stepsPerEpoch: 8, parameters: { total: 10, trainable: 1 }, skippedImages: 0, seconds: 1,
  };
}

describe('describeStop', () => {
  it('says where a stopped run stands, epochs and steps counted from 1', () => {
    expect(describeStop(stoppedAt(0, 0), 2)).toBe('before its first step');
    expect(describeStop(stoppedAt(0, 5), 2)).toBe('in epoch 1 after step 5 of 8');
    expect(describeStop(stoppedAt(0, 8), 2)).toBe('after the steps of epoch 1, before its validation');
    expect(describeStop(stoppedAt(1, 0), 2)).toBe('after epoch 1');
    expect(describeStop(stoppedAt(2, 0), 2)).toBe('after its last epoch, before the test evaluation');
  });
});
