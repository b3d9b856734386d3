/** A name whose tensor shape differs from the parameter it would load into. */
export interface ShapeMismatch {
  name: string;
  expected: number[];
  actual: number[];
}

/** What `loadStateDict` found when matching names. */
export interface LoadReport {
  /** Parameters of the module with no tensor in the dict. */
  missing: string[];
  /** Tensors in the dict with no parameter of that name. */
  unexpected: string[];
  /** Names present on both sides with different shapes (never loaded). */
  mismatched: ShapeMismatch[];
  /** Names that were loaded. */
  loaded: string[];
}

const LISTED = 12;

function list(names: string[]): string {
  const shown = names.slice(0, LISTED).join(', ');
  return names.length > LISTED ? `${shown}, … (${names.length - LISTED} more)` : shown;
}

/** Thrown by a strict `loadStateDict` when names or shapes do not match; nothing is loaded then. */
export class StateDictError extends Error {
  readonly report: LoadReport;

  constructor(report: LoadReport, source?: string) {
    const parts: string[] = [];
    if (report.missing.length > 0) parts.push(`missing ${report.missing.length}: ${list(report.missing)}`);
    if (report.unexpected.length > 0) parts.push(`unexpected ${report.unexpected.length}: ${list(report.unexpected)}`);
    if (report.mismatched.length > 0) {
      const shapes = report.mismatched.map((m) => `${m.name} expected [${m.expected}] got [${m.actual}]`);
      parts.push(`mis-shaped ${report.mismatched.length}: ${list(shapes)}`);
    }
    super(`state dict${source ? ` from ${source}` : ''} does not match the model — ${parts.join('; ')}`);
    this.name = 'StateDictError';
    this.report = report;
  }
}
