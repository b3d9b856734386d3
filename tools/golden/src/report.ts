/** One line of the golden report: a tensor (or metric) compared, or named as not computed yet. */
export interface CheckLine {
  name: string;
  status: 'ok' | 'off' | 'not-computed';
  /** Largest |actual − expected|. */
  maxAbs?: number;
  /** Largest |actual − expected| / |expected| over non-zero expected values. */
  maxRel?: number;
  /** Tolerance used, or why it was not computed. */
  note?: string;
}

export function formatLines(lines: readonly CheckLine[]): string {
  const width = Math.max(20, ...lines.map((line) => line.name.length));
  return lines
    .map((line) => {
      const label = line.status === 'ok' ? 'ok  ' : line.status === 'off' ? 'OFF ' : 'n/a ';
      const numbers =
        line.maxAbs === undefined
          ? ''
          : `max abs ${line.maxAbs.toExponential(2).padStart(9)}  max rel ${(line.maxRel ?? 0).toExponential(2).padStart(9)}`;
      return `${label} ${line.name.padEnd(width)}  ${numbers}${line.note ? `  ${line.note}` : ''}`;
    })
    .join('\n');
}

export function summarize(lines: readonly CheckLine[]): { ok: number; off: number; notComputed: number } {
  return {
    ok: lines.filter((l) => l.status === 'ok').length,
    off: lines.filter((l) => l.status === 'off').length,
    notComputed: lines.filter((l) => l.status === 'not-computed').length,
  };
}
