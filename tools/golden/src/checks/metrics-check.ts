import { RETRIEVAL_METRIC_FIELDS, metricsFromRanks, retrievalRanks, type RetrievalMetrics, type RetrievalRanks, type TieRule } from '@harma/metrics';
// The subpath, not the package entry: the CLI runs outside vitest, which the entry loads.
import { readMetricsCases, type MetricsCase } from '@harma/test-support/metrics-cases';
import type { CheckLine } from '../report';

/** The fixture's `tie_rules` names of the rules @harma/metrics implements. */
const FIXTURE_RULE_NAMES: Record<TieRule, string> = {
  'lower-index-first': 'ties_lower_index_first',
  'higher-index-first': 'ties_higher_index_first',
  numpy: 'numpy_default',
};

function figureLines(prefix: string, actual: RetrievalMetrics, expected: RetrievalMetrics): CheckLine[] {
  return RETRIEVAL_METRIC_FIELDS.map((field) => {
    const difference = Math.abs(actual[field] - expected[field]);
    return {
      name: `${prefix}/${field}`,
      status: actual[field] === expected[field] ? 'ok' : 'off',
      maxAbs: difference,
      maxRel: expected[field] === 0 ? 0 : difference / Math.abs(expected[field]),
      note: actual[field] === expected[field] ? 'exact' : `${actual[field]} but expected ${expected[field]}`,
    };
  });
}

function rankLine(name: string, actual: Int32Array, expected: readonly number[]): CheckLine {
  let mismatches = 0;
  let first = -1;
  let maxAbs = 0;
  for (let k = 0; k < expected.length; k++) {
    const difference = Math.abs((actual[k] as number) - (expected[k] as number));
    if (difference !== 0) {
      mismatches += 1;
      if (first < 0) first = k;
    }
    maxAbs = Math.max(maxAbs, difference);
  }
  if (actual.length !== expected.length) return { name, status: 'off', note: `${actual.length} ranks but expected ${expected.length}` };
  return {
    name,
    status: mismatches === 0 ? 'ok' : 'off',
    maxAbs,
    maxRel: 0,
    note: mismatches === 0 ? `exact (${expected.length} ranks)` : `${mismatches}/${expected.length} ranks differ, first at ${first}: ${actual[first]} vs ${expected[first]}`,
  };
}

function ranksOf(entry: MetricsCase<keyof RetrievalMetrics>, tieRule: TieRule): RetrievalRanks {
  return retrievalRanks({ scores: entry.scores, images: entry.images, captions: entry.captions }, { img2txt: entry.img2txt, txt2img: entry.txt2img, tieRule });
}

/**
 * Recompute every retrieval-metric case of a cases.json and compare the rounded values exactly.
 *
 * - `numpy` (the reference's own tie order, reproduced): every case's `expected`, every rank, and
 *   the unrounded figures bit for bit.
 * - `lower-index-first` (the documented default) and `higher-index-first`: a case whose ranks cannot
 *   depend on the tie order must give `expected` and its ranks; a tie-order-dependent case must give
 *   its `tie_rules` entry for that rule (a missing entry is reported as not computed).
 */
export async function checkMetricsCases(file: string): Promise<CheckLine[]> {
  const lines: CheckLine[] = [];
  for (const entry of readMetricsCases(file, RETRIEVAL_METRIC_FIELDS)) {
    for (const tieRule of ['numpy', 'lower-index-first', 'higher-index-first'] as const) {
      const prefix = `${entry.name}/${tieRule}`;
      const ranks = ranksOf(entry, tieRule);
      const metrics = metricsFromRanks(ranks);
      if (tieRule === 'numpy' || !entry.tieOrderDependent) {
        lines.push(...figureLines(prefix, metrics, entry.expected));
        lines.push(rankLine(`${prefix}/ranks_i2t`, ranks.i2t, entry.ranksI2t));
        lines.push(rankLine(`${prefix}/ranks_t2i`, ranks.t2i, entry.ranksT2i));
        if (tieRule === 'numpy') {
          const unrounded = metricsFromRanks(ranks, { round: false });
          const same = RETRIEVAL_METRIC_FIELDS.every((field) => unrounded[field] === entry.unrounded[field]);
          lines.push({ name: `${prefix}/unrounded`, status: same ? 'ok' : 'off', note: same ? 'bit-identical doubles' : `${JSON.stringify(unrounded)} but expected ${JSON.stringify(entry.unrounded)}` });
        }
        continue;
      }
      const expected = entry.tieRules[FIXTURE_RULE_NAMES[tieRule]];
      if (!expected) {
        lines.push({ name: prefix, status: 'not-computed', note: `tie-order-dependent case without tie_rules.${FIXTURE_RULE_NAMES[tieRule]}` });
        continue;
      }
      lines.push(...figureLines(`${prefix} (tie_rules.${FIXTURE_RULE_NAMES[tieRule]})`, metrics, expected));
    }
  }
  return lines;
}
