import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

/** A multipart/form-data body built by hand (light-my-request takes raw bytes). */
export function multipartBody(parts: Array<{ name: string; filename?: string; contentType?: string; data: Uint8Array | string }>, boundary = 'harma-test-boundary'): { payload: Buffer; headers: Record<string, string> } {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename === undefined ? '' : `; filename="${part.filename}"`}`;
    const type = part.contentType ?? (part.filename === undefined ? undefined : 'application/octet-stream');
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type === undefined ? '' : `Content-Type: ${type}\r\n`}\r\n`));
    chunks.push(typeof part.data === 'string' ? Buffer.from(part.data) : Buffer.from(part.data));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

/** POST an image as the multipart field `image` (plus text fields). */
export function postImage(app: FastifyInstance, url: string, image: Uint8Array, options: { fields?: Record<string, string>; headers?: Record<string, string>; filename?: string } = {}): Promise<LightMyRequestResponse> {
  const fields = Object.entries(options.fields ?? {}).map(([name, data]) => ({ name, data }));
  const body = multipartBody([...fields, { name: 'image', filename: options.filename ?? 'query.png', contentType: 'image/png', data: image }]);
  return app.inject({ method: 'POST', url, payload: body.payload, headers: { ...body.headers, ...options.headers } });
}

/** Dot product in double precision. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
}
