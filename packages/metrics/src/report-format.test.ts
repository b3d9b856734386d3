import { describe, expect, it } from 'vitest';
import type { RetrievalMetrics } from './recall';
import { formatMetricsTable, metricsToJson } from './report-format';

const harma: RetrievalMetrics = { txt_r1: 57.14, txt_r5: 100, txt_r10: 100, img_r1: 31.43, img_r5: 91.43, img_r10: 100, r_mean: 80 };

describe('report formatting', () => {
  it('prints a right-aligned text table with the fixed columns', () => {
    const unrounded: RetrievalMetrics = { ...harma, txt_r10: 90.625, img_r1: 53.125 };
    expect(formatMetricsTable([{ name: 'HarMA', metrics: harma }, { name: 'CLIP zero-shot', metrics: unrounded }])).toBe(
      [
        'model           txt_r1  txt_r5  txt_r10  img_r1  img_r5  img_r10  r_mean',
        'HarMA            57.14  100.00   100.00   31.43   91.43   100.00   80.00',
        'CLIP zero-shot   57.14  100.00    90.62   53.12   91.43   100.00   80.00',
      ].join('\n'),
    );
    expect(formatMetricsTable(harma, { label: '', digits: 1 }).split('\n')[1]).toBe('  57.1   100.0    100.0    31.4    91.4    100.0    80.0');
  });

  it('writes JSON with the field names in report order, extras after', () => {
    const shuffled = { r_mean: 80, img_r10: 100, img_r5: 91.43, img_r1: 31.43, txt_r10: 100, txt_r5: 100, txt_r1: 57.14 };
    expect(metricsToJson(shuffled)).toBe('{"txt_r1":57.14,"txt_r5":100,"txt_r10":100,"img_r1":31.43,"img_r5":91.43,"img_r10":100,"r_mean":80}');
    expect(JSON.parse(metricsToJson(harma, { split: 'test' }))).toEqual({ ...harma, split: 'test' });
    expect(() => metricsToJson({ ...harma, r_mean: Number.NaN })).toThrow(/r_mean is NaN/);
    expect(() => metricsToJson(harma, { txt_r1: 0 })).toThrow(/would overwrite a metric/);
  });
});
