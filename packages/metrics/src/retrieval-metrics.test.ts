import { fixturePath, readMetricsCases } from '@harma/test-support';
import { describe, expect, it } from 'vitest';
import { RETRIEVAL_METRIC_FIELDS, metricsFromRanks } from './recall';
import { retrievalMetrics, retrievalRanks } from './retrieval-metrics';
import type { TieRule } from './tie-rule';

const cases = readMetricsCases(fixturePath('golden', 'metrics', 'cases.json'), RETRIEVAL_METRIC_FIELDS);

/** The fixture's names for the simple rules. */
const FIXTURE_RULE: Record<string, TieRule> = {
  ties_lower_index_first: 'lower-index-first',
  ties_higher_index_first: 'higher-index-first',
  numpy_default: 'numpy',
};

describe('retrievalMetrics on every case of fixtures/golden/metrics/cases.json', () => {
  it('reads the four cases', () => {
    expect(cases.map((c) => c.name)).toEqual(['random-7x35', 'ties-invariant-20x100', 'round-half-even-32x160', 'tie-order-dependent-12x60']);
  });

  describe.each(cases.map((c) => [c.name, c] as const))('%s', (_name, golden) => {
    const matrix = { scores: golden.scores, images: golden.images, captions: golden.captions };
    const truth = { img2txt: golden.img2txt, txt2img: golden.txt2img };

    it("reproduces the reference exactly with tieRule 'numpy': figures, unrounded doubles and ranks", () => {
      const ranks = retrievalRanks(matrix, { ...truth, tieRule: 'numpy' });
      expect(Array.from(ranks.i2t)).toEqual(golden.ranksI2t);
      expect(Array.from(ranks.t2i)).toEqual(golden.ranksT2i);
      expect(metricsFromRanks(ranks)).toEqual(golden.expected);
      // Bit for bit: the same arithmetic as itm_eval.
      expect(metricsFromRanks(ranks, { round: false })).toEqual(golden.unrounded);
    });

    it.each(['lower-index-first', 'higher-index-first'] as const)('with tieRule %s: the rule-independent figures, or the fixture tie_rules entry', (rule) => {
      const metrics = retrievalMetrics(matrix, { ...truth, tieRule: rule });
      if (!golden.tieOrderDependent) {
        expect(metrics).toEqual(golden.expected);
        const ranks = retrievalRanks(matrix, { ...truth, tieRule: rule });
        expect(Array.from(ranks.i2t)).toEqual(golden.ranksI2t);
        expect(Array.from(ranks.t2i)).toEqual(golden.ranksT2i);
        return;
      }
      const fixtureName = Object.keys(FIXTURE_RULE).find((name) => FIXTURE_RULE[name] === rule)!;
      expect(golden.tieRules[fixtureName]).toBeDefined();
      expect(metrics).toEqual(golden.tieRules[fixtureName]);
    });
  });

  it('tie-order-dependent-12x60: the default rule is lower-index-first, and the rules really differ there', () => {
    const golden = cases.find((c) => c.name === 'tie-order-dependent-12x60')!;
    const matrix = { scores: golden.scores, images: golden.images, captions: golden.captions };
    const truth = { img2txt: golden.img2txt, txt2img: golden.txt2img };
    expect(retrievalMetrics(matrix, truth)).toEqual(golden.tieRules.ties_lower_index_first);
    for (const [name, rule] of Object.entries(FIXTURE_RULE)) expect(retrievalMetrics(matrix, { ...truth, tieRule: rule })).toEqual(golden.tieRules[name]);
    expect(golden.tieRules.ties_lower_index_first).not.toEqual(golden.tieRules.ties_higher_index_first);
    expect(golden.tieRules.numpy_default).toEqual(golden.expected);
  });
});

describe('retrievalRanks on hand-computed galleries', () => {
  const twoByTwo = { img2txt: [[0], [1]], txt2img: [0, 1] };

  it('2×2: perfect, swapped and mixed scores', () => {
    const perfect = retrievalRanks({ scores: Float32Array.from([0.9, 0.1, 0.2, 0.8]), images: 2, captions: 2 }, twoByTwo);
    expect(Array.from(perfect.i2t)).toEqual([0, 0]);
    expect(Array.from(perfect.t2i)).toEqual([0, 0]);
    const swapped = retrievalRanks({ scores: Float32Array.from([0.1, 0.9, 0.8, 0.2]), images: 2, captions: 2 }, twoByTwo);
    expect(Array.from(swapped.i2t)).toEqual([1, 1]);
    expect(Array.from(swapped.t2i)).toEqual([1, 1]);
    // Image 0 prefers caption 1 (0.7 > 0.6); caption 0 still prefers image 0 (0.6 > 0.3).
    const mixed = retrievalRanks({ scores: Float32Array.from([0.6, 0.7, 0.3, 0.9]), images: 2, captions: 2 }, twoByTwo);
    expect(Array.from(mixed.i2t)).toEqual([1, 0]);
    expect(Array.from(mixed.t2i)).toEqual([0, 0]);
    // R@1: i2t 1 of 2 = 50, t2i 2 of 2 = 100; R@5 = R@10 = 100; r_mean = ((50+100+100)/3 + 100)/2.
    expect(retrievalMetrics({ scores: Float32Array.from([0.6, 0.7, 0.3, 0.9]), images: 2, captions: 2 }, twoByTwo)).toEqual({
      txt_r1: 50,
      txt_r5: 100,
      txt_r10: 100,
      img_r1: 100,
      img_r5: 100,
      img_r10: 100,
      r_mean: 91.67,
    });
  });

  it('ties between a positive and a negative go by index under each rule', () => {
    // Every score equal: lower-index-first puts candidate 0 first, higher-index-first the last one.
    const flat = { scores: new Float32Array(6).fill(0.5), images: 2, captions: 3 };
    const truth = { img2txt: [[0, 1], [2]], txt2img: [0, 0, 1] };
    const lower = retrievalRanks(flat, { ...truth, tieRule: 'lower-index-first' });
    // Image 0's best caption is 0 (rank 0); image 1's caption 2 follows captions 0 and 1 (rank 2).
    expect(Array.from(lower.i2t)).toEqual([0, 2]);
    // Captions 0, 1 → image 0 at rank 0; caption 2 → image 1 after image 0 (rank 1).
    expect(Array.from(lower.t2i)).toEqual([0, 0, 1]);
    const higher = retrievalRanks(flat, { ...truth, tieRule: 'higher-index-first' });
    // Image 0's best is caption 1, behind caption 2 (rank 1); image 1's caption 2 is first.
    expect(Array.from(higher.i2t)).toEqual([1, 0]);
    expect(Array.from(higher.t2i)).toEqual([1, 1, 0]);
    // numpy: rows of ≤ 16 are insertion-sorted (stable), then reversed → higher index first.
    const numpy = retrievalRanks(flat, { ...truth, tieRule: 'numpy' });
    expect(numpy).toEqual(higher);
  });

  it('duplicate captions: identical scores rank one after the other, the image keeps its best', () => {
    // Captions 1 and 2 are the same text (same scores in every row); caption 3 is image 1's.
    const scores = Float32Array.from([
      0.2, 0.7, 0.7, 0.1, // image 0: captions 0, 1, 2
      0.3, 0.4, 0.4, 0.9, // image 1: caption 3
    ]);
    const truth = { img2txt: [[0, 1, 2], [3]], txt2img: [0, 0, 0, 1] };
    const ranks = retrievalRanks({ scores, images: 2, captions: 4 }, truth);
    expect(Array.from(ranks.i2t)).toEqual([0, 0]);
    // Caption 0: image 1 (0.3) beats image 0 (0.2) → rank 1; captions 1, 2: image 0 (0.7) first.
    expect(Array.from(ranks.t2i)).toEqual([1, 0, 0, 0]);
    // Now the duplicate belongs to another image: caption 2 → image 1, so image 1 ties with itself.
    const shared = retrievalRanks({ scores, images: 2, captions: 4 }, { img2txt: [[0, 1], [2, 3]], txt2img: [0, 0, 1, 1] });
    // Image 0 best = caption 1 (0.7) tied with caption 2 (0.7) which has the higher index → rank 0.
    expect(Array.from(shared.i2t)).toEqual([0, 0]);
    // Caption 2 → image 1 (0.4) vs image 0 (0.7): rank 1.
    expect(Array.from(shared.t2i)).toEqual([1, 0, 1, 0]);
    const higher = retrievalRanks({ scores, images: 2, captions: 4 }, { img2txt: [[0, 1], [2, 3]], txt2img: [0, 0, 1, 1], tieRule: 'higher-index-first' });
    // Under higher-index-first caption 2 (a negative of image 0) now precedes caption 1.
    expect(Array.from(higher.i2t)).toEqual([1, 0]);
  });

  it('names the field at fault in bad input', () => {
    const matrix = { scores: new Float32Array(4), images: 2, captions: 2 };
    expect(() => retrievalRanks({ ...matrix, scores: new Float32Array(3) }, twoByTwo)).toThrow(/scores has 3 values, expected images × captions = 2 × 2 = 4/);
    expect(() => retrievalRanks(matrix, { img2txt: [[0]], txt2img: [0, 1] })).toThrow(/img2txt has 1 entries for 2 images/);
    expect(() => retrievalRanks(matrix, { img2txt: [[0], [2]], txt2img: [0, 1] })).toThrow(/img2txt\[1\]\[0\] = 2 is not a caption index in \[0, 2\)/);
    expect(() => retrievalRanks(matrix, { img2txt: [[0], []], txt2img: [0, 1] })).toThrow(/img2txt\[1\] lists no caption/);
    expect(() => retrievalRanks(matrix, { img2txt: [[0], [1]], txt2img: [0, 5] })).toThrow(/txt2img\[1\] = 5 is not an image index/);
    expect(() => retrievalRanks({ ...matrix, scores: Float32Array.from([0, Number.NaN, 0, 0]) }, twoByTwo)).toThrow(/scores\[0\]\[1\] is NaN/);
    expect(() => retrievalRanks(matrix, { ...twoByTwo, tieRule: 'random' as TieRule })).toThrow(/tieRule 'random' is not one of/);
  });
});
