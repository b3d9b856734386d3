import { formatHalfEven } from '@harma/core';
import { RETRIEVAL_METRIC_FIELDS, type RetrievalMetrics } from './recall';

/** One line of a results table: a label (model, run, split) and its figures. */
export interface MetricsRow {
  name: string;
  metrics: RetrievalMetrics;
}

export interface MetricsTableOptions {
  /** Header of the label column. Default: 'model'. */
  label?: string;
  /** Decimals printed, rounded half-even on the exact value. Default: 2. */
  digits?: number;
}

/**
 * A plain-text table of recall figures, one row per entry, columns `txt_r1 … r_mean` right-aligned:
 *
 * ```
 * model   txt_r1  txt_r5  txt_r10  img_r1  img_r5  img_r10  r_mean
 * HarMA    57.14  100.00   100.00   31.43   91.43   100.00   80.00
 * ```
 */
export function formatMetricsTable(rows: readonly MetricsRow[] | RetrievalMetrics, options: MetricsTableOptions = {}): string {
  const entries: readonly MetricsRow[] = Array.isArray(rows) ? rows : [{ name: '', metrics: rows as RetrievalMetrics }];
  const digits = options.digits ?? 2;
  const label = options.label ?? 'model';
  const cells = entries.map((row) => RETRIEVAL_METRIC_FIELDS.map((field) => formatHalfEven(row.metrics[field], digits)));
  const labelWidth = Math.max(label.length, ...entries.map((row) => row.name.length));
  const widths = RETRIEVAL_METRIC_FIELDS.map((field, column) => Math.max(field.length, ...cells.map((line) => (line[column] as string).length)));
  // Without any label (one unnamed row, empty header) the label column is left out.
  const line = (first: string, values: readonly string[]): string =>
    [...(labelWidth > 0 ? [first.padEnd(labelWidth)] : []), ...values.map((value, column) => value.padStart(widths[column] as number))].join('  ');
  return [line(label, RETRIEVAL_METRIC_FIELDS), ...entries.map((row, k) => line(row.name, cells[k] as string[]))].join('\n');
}

/**
 * The figures as a JSON object with the fixed field names in report order
 * (`{"txt_r1":…,"txt_r5":…,"txt_r10":…,"img_r1":…,"img_r5":…,"img_r10":…,"r_mean":…}`);
 * fields of `extra` (e.g. diagnostics, the split) follow them.
 */
export function metricsToJson(metrics: RetrievalMetrics, extra: Record<string, unknown> = {}): string {
  const ordered: Record<string, unknown> = {};
  for (const field of RETRIEVAL_METRIC_FIELDS) {
    const value = metrics[field];
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`metricsToJson: ${field} is ${String(value)}, not a finite number`);
    ordered[field] = value;
  }
  for (const [key, value] of Object.entries(extra)) {
    if (key in ordered) throw new Error(`metricsToJson: extra field '${key}' would overwrite a metric`);
    ordered[key] = value;
  }
  return JSON.stringify(ordered);
}
