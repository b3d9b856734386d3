import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { RETRIEVAL_METRIC_FIELDS, type RetrievalMetrics } from '../recall';

const metricsSchema = z
  .object(Object.fromEntries(RETRIEVAL_METRIC_FIELDS.map((field) => [field, z.number()])) as Record<keyof RetrievalMetrics, z.ZodNumber>)
  .strict();

const index = z.number().int().nonnegative();

const caseSchema = z.object({
  name: z.string().min(1),
  note: z.string().optional(),
  n_images: z.number().int().positive(),
  n_captions: z.number().int().positive(),
  scores_i2t: z.array(z.array(z.number())),
  img2txt: z.array(z.array(index)),
  txt2img: z.array(index),
  expected: metricsSchema,
  ranks_i2t: z.array(index),
  ranks_t2i: z.array(index),
  unrounded: metricsSchema,
  tie_order_dependent: z.boolean().optional(),
  tie_rules: z.record(z.string(), metricsSchema).optional(),
  tie_note: z.string().optional(),
});

const casesFileSchema = z.object({ description: z.string().optional(), cases: z.array(caseSchema).min(1) });

/** One retrieval-metric case of the golden fixtures (`fixtures/golden/metrics/cases.json`). */
export interface MetricsCase {
  name: string;
  images: number;
  captions: number;
  /** Row-major [images, captions] float32 scores. */
  scores: Float32Array;
  img2txt: number[][];
  txt2img: number[];
  /** The reference's rounded figures (numpy's own tie order). */
  expected: RetrievalMetrics;
  unrounded: RetrievalMetrics;
  ranksI2t: number[];
  ranksT2i: number[];
  tieOrderDependent: boolean;
  /** Figures under simple tie rules, by the fixture's rule name (`ties_lower_index_first`, ...). */
  tieRules: Record<string, RetrievalMetrics>;
}

/**
 * Read and validate a metrics cases.json; errors name the file, the case and the field. Scores
 * become a Float32Array (the fixture's values are float32 numbers written as decimals).
 */
export function readMetricsCases(file: string): MetricsCase[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: not readable JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const parsed = casesFileSchema.safeParse(json);
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
      expected: entry.expected,
      unrounded: entry.unrounded,
      ranksI2t: entry.ranks_i2t,
      ranksT2i: entry.ranks_t2i,
      tieOrderDependent: entry.tie_order_dependent ?? false,
      tieRules: entry.tie_rules ?? {},
    };
  });
}
