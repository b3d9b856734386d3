import * as tf from '@tensorflow/tfjs-core';

export interface Tolerance {
  /** Absolute tolerance. Default: 1e-5. */
  atol?: number;
  /** Relative tolerance, times |expected|. Default: 0. */
  rtol?: number;
  /**
   * How the two combine elementwise: `sum` passes |a − e| ≤ atol + rtol·|e| (numpy's allclose),
   * `max` passes |a − e| ≤ max(atol, rtol·|e|). Default: `sum`.
   */
  combine?: 'sum' | 'max';
}

export interface Difference {
  maxAbs: number;
  /** Largest |a − e| / |e| over elements with e ≠ 0. */
  maxRel: number;
  /** Elements outside the tolerance. */
  failures: number;
  /** Index of the worst element relative to its allowance. */
  worstIndex: number;
  count: number;
}

type Values = tf.Tensor | ArrayLike<number>;

function toArray(values: Values): ArrayLike<number> {
  return values instanceof tf.Tensor ? (values.dataSync() as ArrayLike<number>) : values;
}

/** Compare two arrays elementwise; NaN anywhere counts as a failure. */
export function compareValues(actual: Values, expected: Values, tolerance: Tolerance = {}): Difference {
  const a = toArray(actual);
  const e = toArray(expected);
  if (a.length !== e.length) throw new Error(`compareValues: ${a.length} values against ${e.length} expected`);
  const atol = tolerance.atol ?? 1e-5;
  const rtol = tolerance.rtol ?? 0;
  let maxAbs = 0;
  let maxRel = 0;
  let failures = 0;
  let worstIndex = -1;
  let worstRatio = -1;
  for (let i = 0; i < a.length; i++) {
    const ai = a[i] as number;
    const ei = e[i] as number;
    const diff = Math.abs(ai - ei);
    const allowed = tolerance.combine === 'max' ? Math.max(atol, rtol * Math.abs(ei)) : atol + rtol * Math.abs(ei);
    if (!(diff <= allowed)) failures += 1;
    const ratio = Number.isNaN(diff) ? Infinity : diff / (allowed || Number.MIN_VALUE);
    if (ratio > worstRatio) {
      worstRatio = ratio;
      worstIndex = i;
    }
    if (diff > maxAbs || Number.isNaN(diff)) maxAbs = Number.isNaN(diff) ? NaN : diff;
    if (ei !== 0 && diff / Math.abs(ei) > maxRel) maxRel = diff / Math.abs(ei);
  }
  return { maxAbs, maxRel, failures, worstIndex, count: a.length };
}

/** Throw a descriptive error unless `actual` matches `expected` (shapes too, for tensors) within tolerance. */
export function expectAllClose(actual: Values, expected: Values, tolerance: Tolerance = {}, name = 'values'): Difference {
  if (actual instanceof tf.Tensor && expected instanceof tf.Tensor && !tf.util.arraysEqual(actual.shape, expected.shape)) {
    throw new Error(`${name}: shape [${actual.shape}] differs from expected [${expected.shape}]`);
  }
  const difference = compareValues(actual, expected, tolerance);
  if (difference.failures > 0) {
    const a = toArray(actual)[difference.worstIndex];
    const e = toArray(expected)[difference.worstIndex];
    throw new Error(
      `${name}: ${difference.failures}/${difference.count} elements off tolerance (atol ${tolerance.atol ?? 1e-5}, rtol ${tolerance.rtol ?? 0}); ` +
        `max abs ${difference.maxAbs.toExponential(3)}, max rel ${difference.maxRel.toExponential(3)}; ` +
        `worst at ${difference.worstIndex}: ${a} vs ${e}`,
    );
  }
  return difference;
}
