import { roundHalfEven } from '@harma/core';
import type { RetrievalRanks } from './rank-counter';

/** The paper's retrieval figures, in percent; field names fixed (they are the reference's keys). */
export interface RetrievalMetrics {
  /** Image → text recall at 1, 5, 10: share of images with one of their captions in the top K. */
  txt_r1: number;
  txt_r5: number;
  txt_r10: number;
  /** Text → image recall at 1, 5, 10: share of captions with their image in the top K. */
  img_r1: number;
  img_r5: number;
  img_r10: number;
  /** Mean of the two directions' means of R@1/5/10 (mR), from the unrounded values. */
  r_mean: number;
}

/** The metric fields in report order. */
export const RETRIEVAL_METRIC_FIELDS = ['txt_r1', 'txt_r5', 'txt_r10', 'img_r1', 'img_r5', 'img_r10', 'r_mean'] as const satisfies ReadonlyArray<keyof RetrievalMetrics>;

/** R@K in percent: 100 · #(rank < K) / n, in the reference's order of operations. */
export function recallAtK(ranks: ArrayLike<number>, k: number): number {
  if (ranks.length === 0) throw new Error('recallAtK: no ranks');
  let hits = 0;
  for (let n = 0; n < ranks.length; n++) if ((ranks[n] as number) < k) hits += 1;
  return (100.0 * hits) / ranks.length;
}

export interface MetricsFromRanksOptions {
  /** Round each figure like Python `round(x, 2)`, as the paper reports. Default: true. */
  round?: boolean;
}

/** The recall figures of a set of ranks (the reference's `itm_eval` arithmetic, double for double). */
export function metricsFromRanks(ranks: RetrievalRanks, options: MetricsFromRanksOptions = {}): RetrievalMetrics {
  const txt_r1 = recallAtK(ranks.i2t, 1);
  const txt_r5 = recallAtK(ranks.i2t, 5);
  const txt_r10 = recallAtK(ranks.i2t, 10);
  const img_r1 = recallAtK(ranks.t2i, 1);
  const img_r5 = recallAtK(ranks.t2i, 5);
  const img_r10 = recallAtK(ranks.t2i, 10);
  const textMean = (txt_r1 + txt_r5 + txt_r10) / 3;
  const imageMean = (img_r1 + img_r5 + img_r10) / 3;
  const metrics: RetrievalMetrics = { txt_r1, txt_r5, txt_r10, img_r1, img_r5, img_r10, r_mean: (textMean + imageMean) / 2 };
  if (options.round === false) return metrics;
  const rounded = { ...metrics };
  for (const field of RETRIEVAL_METRIC_FIELDS) rounded[field] = roundHalfEven(metrics[field], 2);
  return rounded;
}
