import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../errors';

/** Who may call a route: anyone, readers (the key if `requireKeyForReads`), or key holders only. */
export type RouteAccess = 'public' | 'read' | 'write';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** The key a request carries, from `x-api-key` or `Authorization: Bearer <key>`. */
function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string') return header;
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match !== null) return match[1];
  }
  return undefined;
}

/**
 * The access check run before every route: write routes need the configured API key (and are
 * disabled with 403 when none is configured); read routes need it only with `requireKeyForReads`.
 * Keys are compared as SHA-256 digests in constant time.
 */
export function accessChecker(apiKey: string | undefined, requireKeyForReads: boolean): (request: FastifyRequest, access: RouteAccess) => void {
  const expected = apiKey === undefined ? undefined : digest(apiKey);
  return (request, access) => {
    if (access === 'public' || (access === 'read' && !requireKeyForReads)) return;
    if (expected === undefined) {
      throw new ApiError(403, 'forbidden', 'write endpoints are disabled: start the server with an API key (--api-key or HARMA_API_KEY) to enable them');
    }
    const key = presentedKey(request);
    if (key === undefined) throw new ApiError(401, 'unauthorized', 'this endpoint needs the API key, sent as `x-api-key: <key>` or `Authorization: Bearer <key>`');
    if (!timingSafeEqual(digest(key), expected)) throw new ApiError(401, 'unauthorized', 'the API key is wrong');
  };
}
