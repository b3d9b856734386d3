import type { z } from 'zod';

/** One line per zod issue, each naming the source and the field (`HarMA options: vision.heads: Expected number`). */
export function describeIssues(error: z.ZodError, source: string): string {
  return error.issues.map((issue) => `${source}: ${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}

/** Fields where two option sets differ (`vision.bottleneck: 128 ≠ 64`); empty when they are equal. */
export function diffOptions(expected: unknown, actual: unknown, prefix = ''): string[] {
  const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
  if (isRecord(expected) && isRecord(actual)) {
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    return [...keys].flatMap((key) => diffOptions(expected[key], actual[key], prefix ? `${prefix}.${key}` : key));
  }
  return JSON.stringify(expected) === JSON.stringify(actual) ? [] : [`${prefix || '(root)'}: ${JSON.stringify(expected)} ≠ ${JSON.stringify(actual)}`];
}
