import type { z } from 'zod/v4';
import { ApiError } from '../errors';

const MAX_LISTED_ISSUES = 5;

/**
 * Parse `value` (a request's body, query or params) with `schema`, or throw a 400 naming every
 * offending field (`body.k: k must be at most 100`).
 */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'params' | 'form'): z.output<S> {
  const parsed = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => {
    const field = [where, ...issue.path.map(String)].join('.');
    const message = issue.code === 'unrecognized_keys' ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}` : issue.message;
    return { field, message };
  });
  const listed = issues.slice(0, MAX_LISTED_ISSUES).map((issue) => `${issue.field}: ${issue.message}`);
  if (issues.length > MAX_LISTED_ISSUES) listed.push(`and ${issues.length - MAX_LISTED_ISSUES} more`);
  throw new ApiError(400, 'invalid_request', `invalid request: ${listed.join('; ')}`, { issues: issues.slice(0, 20) });
}
