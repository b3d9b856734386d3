import { describe, expect, it } from 'vitest';
import type { MetricsRecord } from '../train/metrics-log';
import { formatTick, renderHtmlReport } from './html-report';

/** Steps whose lr climbs to 4e-4 and decays, and whose loss falls from 12 to 0.03: the magnitudes of a real run. */
function records(): MetricsRecord[] {
  return Array.from({ length: 40 }, (_, i) => ({
    type: 'step' as const, epoch: 1 + Math.floor(i / 20), step: 1 + (i % 20), globalStep: i + 1,
    lr: i < 4 ? (4e-4 * i) / 4 : 4e-4 * (1 - (i - 4) / 36), temp: 0.07, loss: 12 * Math.exp(-i / 7), contrastive: 6, triplet: 6, gradNorm: 1, seconds: 1,
  }));
}

describe('the report', () => {
  it('fits every y-axis label inside the chart', () => {
    const html = renderHtmlReport('run', records());
    const labels = [...html.matchAll(/<text x="([\d.]+)" y="[\d.]+" text-anchor="end" font-size="11">([^<]*)<\/text>/g)].map((m) => ({ x: Number(m[1]), text: m[2] as string }));
    expect(labels.length).toBeGreaterThanOrEqual(10);
    expect(labels.map((l) => l.text)).toContain('4.0e-4');
    // Right-aligned at x: the label's left end is x minus its width, at most 7 px a character at 11 px.
    for (const { x, text } of labels) expect(x - 7 * text.length, text).toBeGreaterThanOrEqual(0);
  });

  it('writes ticks short: plain decimals for everyday values, exponents for small and large ones', () => {
    expect([0, 0.5, 12.3456, 2500, 0.0123, 0.0004, -0.0004, 1.5e-7, 250000].map(formatTick)).toEqual(['0', '0.5', '12.3', '2500', '0.0123', '4.0e-4', '-4.0e-4', '1.5e-7', '2.5e5']);
  });
});
