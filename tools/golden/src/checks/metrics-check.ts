import type { CheckLine } from '../report';

/** Recompute every retrieval-metric case of a cases.json and compare the rounded values. */
export async function checkMetricsCases(file: string): Promise<CheckLine[]> {
  return [{ name: file, status: 'not-computed', note: 'not computed yet: needs retrieval metrics (@harma/metrics)' }];
}
