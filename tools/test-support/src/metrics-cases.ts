import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** Exactly the given figures, each a number. */
function metricsSchema(fields: readonly string[]): z.ZodType<Record<string, number>> {
  return z.object(Object.fromEntries(fields.map((field) => [field, z.number()]))).strict() as z.ZodType<Record<string, number>>;
}

const index = z.number().int().nonnegative();

/**
 * The schema of one case. The figure names come from the caller (`RETRIEVAL_METRIC_FIELDS` of
 * `@harma/metrics`) so that this private package does not depend on the package it tests.
 */
function caseSchema(fields: readonly string[]) {
  const metrics = metricsSchema(fields);
  return z.object({
    name: z.string().min(1),
    note: z.string().optional(),
    n_images: z.number().int().positive(),
    n_captions: z.number().int().positive(),
    scores_i2t: z.array(z.array(z.number())),
    img2txt: z.array(z.array(index)),
    txt2img: z.array(index),
    expected: metrics,
    ranks_i2t: z.array(index),
    ranks_t2i: z.array(index),
    unrounded: metrics,
    tie_order_dependent: z.boolean().optional(),
    tie_rules: z.record(z.string(), metrics).optional(),
    tie_note: z.string().optional(),
  });
}

/** One retrieval-metric case of the golden fixtures (`fixtures/golden/metrics/cases.json`). */
export interface MetricsCase<F extends string = string> {
  name: string;
  images: number;
  captions: number;
  /** Row-major [images, captions] float32 scores. */
  scores: Float32Array;
  img2txt: number[][];
  txt2img: number[];
  /** The reference's rounded figures (numpy's own tie order). */
  expected: Record<F, number>;
  unrounded: Record<F, number>;
  ranksI2t: number[];
  ranksT2i: number[];
  tieOrderDependent: boolean;
  /** Figures under simple tie rules, by the fixture's rule name (`ties_lower_index_first`, ...). */
  tieRules: Record<string, Record<F, number>>;
}

/**
 * Read and validate a metrics cases.json whose figures are exactly `fields`; errors name the
 * file, the case and the field. Scores become a Float32Array (the fixture's values are float32
 * numbers written as decimals).
 */
export function readMetricsCases<F extends string>(file: string, fields: readonly F[]): Array<MetricsCase<F>> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: not readable JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const parsed = z.object({ description: z.string().optional(), cases: z.array(caseSchema(fields)).min(1) }).safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? issue.path.join('.') : '';
    throw new Error(`${file}: ${where || 'file'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data.cases.map((entry, k) => {
    const where = `${file}: cases.${k} (${entry.name})`;
    if (entry.scores_i2t.length !== entry.n_images) throw new Error(`${where}: scores_i2t has ${entry.scores_i2t.length} rows for n_images ${entry.n_images}`);
    const scores = new Float32Array(entry.n_images * entry.n_captions);
    entry.scores_i2t.forEach((row, i) => {
      if (row.length !== entry.n_captions) throw new Error(`${where}: scores_i2t.${i} has ${row.length} values for n_captions ${entry.n_captions}`);
      scores.set(row, i * entry.n_captions);
    });
    if (entry.ranks_i2t.length !== entry.n_images) throw new Error(`${where}: ranks_i2t has ${entry.ranks_i2t.length} entries for n_images ${entry.n_images}`);
    if (entry.ranks_t2i.length !== entry.n_captions) throw new Error(`${where}: ranks_t2i has ${entry.ranks_t2i.length} entries for n_captions ${entry.n_captions}`);
    return {
      name: entry.name,
      images: entry.n_images,
      captions: entry.n_captions,
      scores,
      img2txt: entry.img2txt,
      txt2img: entry.txt2img,
      // The schema admits exactly the keys in `fields`.
      expected: entry.expected as Record<F, number>,
      unrounded: entry.unrounded as Record<F, number>,
      ranksI2t: entry.ranks_i2t,
      ranksT2i: entry.ranks_t2i,
      tieOrderDependent: entry.tie_order_dependent ?? false,
      tieRules: (entry.tie_rules ?? {}) as Record<string, Record<F, number>>,
    };
  });
}
