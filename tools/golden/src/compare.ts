import type * as tf from '@tensorflow/tfjs-core';
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
  if (name.startsWith('loss_') || name.startsWith('train.')) return { atol: 1e-6, rtol: 1e-4, combine: 'sum' };
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

/**
 * Elementwise comparison under a tolerance. Kept here rather than imported from
 * `@harma/core/testing`, whose module loads vitest and so cannot run in the CLI.
 */
export function compareValues(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: GoldenTolerance,
): { maxAbs: number; maxRel: number; failures: number } {
  if (actual.length !== expected.length) throw new Error(`compareValues: ${actual.length} values against ${expected.length} expected`);
  let maxAbs = 0;
  let maxRel = 0;
  let failures = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    const diff = Math.abs(a - e);
    const allowed = tolerance.combine === 'max' ? Math.max(tolerance.atol, tolerance.rtol * Math.abs(e)) : tolerance.atol + tolerance.rtol * Math.abs(e);
    // NaN fails and is reported as the largest difference.
    if (!(diff <= allowed)) failures += 1;
    if (Number.isNaN(diff)) maxAbs = NaN;
    else if (diff > maxAbs) maxAbs = diff;
    if (e !== 0 && diff / Math.abs(e) > maxRel) maxRel = diff / Math.abs(e);
  }
  return { maxAbs, maxRel, failures };
}
