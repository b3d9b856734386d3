import type { EvaluationRecord, MetricsRecord, StepRecord } from '../train/metrics-log';

interface Series {
  label: string;
  colour: string;
  points: Array<[number, number]>;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** A tick label of at most 7 characters: plain decimals for everyday magnitudes, `4.0e-4` for small and large ones. */
export function formatTick(value: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-2 && magnitude < 1e5) return Number(value.toPrecision(3)).toString();
  return value.toExponential(1).replace('e+', 'e');
}

/** Width in px of `text` at `fontSize`: digits and most glyphs are at most 0.62 em wide in the usual sans-serif fonts. */
function textWidth(text: string, fontSize: number): number {
  return Math.ceil(text.length * fontSize * 0.62);
}

/** A self-contained SVG line chart (no scripts, no external assets); the left margin fits the longest y label. */
function lineChart(title: string, xLabel: string, series: Series[]): string {
  const width = 640;
  const height = 260;
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return `<p>${escapeHtml(title)}: no data yet.</p>`;
  const xs = all.map(([x]) => x);
  const ys = all.map(([, y]) => y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((t) => y0 + t * (y1 - y0));
  const labels = ticks.map(formatTick);
  const pad = { left: 12 + Math.max(...labels.map((label) => textWidth(label, 11))), right: 16, top: 28, bottom: 36 };
  const sx = (x: number): number => pad.left + ((x - x0) / (x1 - x0 || 1)) * (width - pad.left - pad.right);
  const sy = (y: number): number => height - pad.bottom - ((y - y0) / (y1 - y0)) * (height - pad.top - pad.bottom);
  const grid = ticks
    .map((y, i) => `<line x1="${pad.left}" x2="${width - pad.right}" y1="${sy(y)}" y2="${sy(y)}" stroke="#ddd"/><text x="${pad.left - 6}" y="${sy(y) + 4}" text-anchor="end" font-size="11">${labels[i]}</text>`)
    .join('');
  const lines = series
    .filter((s) => s.points.length > 0)
    .map((s) => `<polyline fill="none" stroke="${s.colour}" stroke-width="1.6" points="${s.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/>`)
    .join('');
  const legend = series.map((s, i) => `<text x="${pad.left + i * 150}" y="16" font-size="12" fill="${s.colour}">■ ${escapeHtml(s.label)}</text>`).join('');
  return `<figure><figcaption>${escapeHtml(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(title)}">${grid}${lines}${legend}<text x="${width / 2}" y="${height - 6}" text-anchor="middle" font-size="12">${escapeHtml(xLabel)}</text><text x="${pad.left}" y="${height - 20}" font-size="11">${x0}</text><text x="${width - pad.right}" y="${height - 20}" font-size="11" text-anchor="end">${x1}</text></svg></figure>`;
}

function metricsTable(records: EvaluationRecord[]): string {
  if (records.length === 0) return '<p>No evaluation yet.</p>';
  const fields = ['txt_r1', 'txt_r5', 'txt_r10', 'img_r1', 'img_r5', 'img_r10', 'r_mean'] as const;
  const head = `<tr><th>split</th><th>epoch</th>${fields.map((f) => `<th>${f}</th>`).join('')}<th>modality gap</th></tr>`;
  const rows = records
    .map((r) => `<tr><td>${r.split}</td><td>${r.split === 'test' && r.epoch === 0 ? 'last' : r.epoch}</td>${fields.map((f) => `<td>${r.metrics[f].toFixed(2)}</td>`).join('')}<td>${r.diagnostics.modalityGap.toFixed(3)}</td></tr>`)
    .join('');
  return `<table>${head}${rows}</table>`;
}

/** The run's HTML report: loss and learning-rate curves, validation recall per epoch, the table of evaluations (epochs and steps from 1). */
export function renderHtmlReport(title: string, records: readonly MetricsRecord[]): string {
  const steps = records.filter((r): r is StepRecord => r.type === 'step');
  const evaluations = records.filter((r): r is EvaluationRecord => r.type === 'evaluation');
  const validation = evaluations.filter((r) => r.split === 'val');
  const loss = lineChart('Training loss', 'optimiser step', [
    { label: 'total', colour: '#1f77b4', points: steps.map((s) => [s.globalStep, s.loss]) },
    { label: 'contrastive', colour: '#2ca02c', points: steps.map((s) => [s.globalStep, s.contrastive]) },
    { label: 'weighted triplet', colour: '#d62728', points: steps.map((s) => [s.globalStep, s.triplet]) },
  ]);
  const lr = lineChart('Learning rate', 'optimiser step', [{ label: 'lr', colour: '#9467bd', points: steps.map((s) => [s.globalStep, s.lr]) }]);
  const recall = lineChart('Validation recall', 'epoch', [
    { label: 'r_mean', colour: '#1f77b4', points: validation.map((r) => [r.epoch, r.metrics.r_mean]) },
    { label: 'txt_r1', colour: '#ff7f0e', points: validation.map((r) => [r.epoch, r.metrics.txt_r1]) },
    { label: 'img_r1', colour: '#2ca02c', points: validation.map((r) => [r.epoch, r.metrics.img_r1]) },
  ]);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}figure{margin:1rem 0}figcaption{font-weight:600}</style>
</head><body><h1>${escapeHtml(title)}</h1>
<p>${steps.length} optimiser steps logged; ${validation.length} validation evaluations.</p>
${loss}${lr}${recall}<h2>Evaluations</h2>${metricsTable(evaluations)}
</body></html>
`;
}
