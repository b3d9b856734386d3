import type * as tf from '@tensorflow/tfjs-core';
import { compareValues } from '@harma/core/testing';
import type { CheckLine } from './report';

export interface GoldenTolerance {
  atol: number;
  rtol: number;
  /** `sum`: |a − e| ≤ atol + rtol·|e|; `max`: |a − e| ≤ max(atol, rtol·|e|). */
  combine: 'sum' | 'max';
}

/** The fixture README's recommended tolerances, by output name. */
export function toleranceFor(name: string): GoldenTolerance {
  if (name.startsWith('grad.')) return { atol: 1e-6, rtol: 1e-4, combine: 'max' };
  if (name.startsWith('after.')) return { atol: 1e-5, rtol: 1e-4, combine: 'sum' };
  if (name.startsWith('loss_') || name.startsWith('eval.loss') || name.startsWith('train.')) return { atol: 1e-6, rtol: 1e-4, combine: 'sum' };
  return { atol: 1e-4, rtol: 0, combine: 'sum' };
}

/** Compare one computed tensor with its expected value and describe the result as a report line. */
export function compareTensor(name: string, actual: tf.Tensor, expected: tf.Tensor): CheckLine {
  const tolerance = toleranceFor(name);
  const note = `tol ${tolerance.combine === 'max' ? `max(${tolerance.atol}, ${tolerance.rtol}·|e|)` : `${tolerance.atol} + ${tolerance.rtol}·|e|`}`;
  if (actual.shape.join(',') !== expected.shape.join(',')) {
    return { name, status: 'off', note: `shape [${actual.shape}] but expected [${expected.shape}]` };
  }
  const difference = compareValues(actual.dataSync() as ArrayLike<number>, expected.dataSync() as ArrayLike<number>, tolerance);
  return { name, status: difference.failures === 0 ? 'ok' : 'off', maxAbs: difference.maxAbs, maxRel: difference.maxRel, note };
}
