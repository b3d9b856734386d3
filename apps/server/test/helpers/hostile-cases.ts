import { deflateSync } from 'node:zlib';
import type { InjectOptions } from 'fastify';
import sharp from 'sharp';
import { multipartBody } from './http';

/** One hostile request and what the server must answer. */
export interface HostileCase {
  name: string;
  request: InjectOptions;
  /** Expected status (always a 4xx). */
  status: number;
  /** Expected `error.code`: every case pins one, so a refusal for the wrong reason fails. */
  code: string;
  /** Text the message must contain. */
  message?: string | RegExp;
  /** What a real socket gets instead, when `inject` changes the request on the way (it resolves `%2e%2e` in URLs). */
  overSocket?: { status: number; code: string };
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = (CRC_TABLE[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const out = Buffer.alloc(8 + data.length + 4);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
}

/** A valid PNG header claiming `width × height` pixels with almost no data: a decompression bomb's shape. */
export function lyingPng(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', header), pngChunk('IDAT', deflateSync(Buffer.alloc(64))), pngChunk('IEND', Buffer.alloc(0))]);
}

/**
 * A real, complete PNG of `width` × `height` 8-bit grey pixels (a horizontal ramp), deflated:
 * a 40,000,000 × 1 image at the default pixel limit is about 200 KB and decodes for seconds.
 */
export function widePng(width: number, height = 1): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 0, 0, 0, 0], 8);
  const row = Buffer.alloc(width + 1);
  for (let x = 0; x < width; x++) row[x + 1] = Math.floor((256 * x) / width);
  const rows = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', header), pngChunk('IDAT', deflateSync(rows, { level: 1 })), pngChunk('IEND', Buffer.alloc(0))]);
}

/** Bytes that are not a usable image, by name. */
export async function corruptImages(valid: Buffer): Promise<Record<string, Buffer>> {
  const gif = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#808080' } }).gif().toBuffer();
  return {
    'random bytes': Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 7919 + 13) % 256)),
    'truncated PNG': valid.subarray(0, Math.floor(valid.length / 2)),
    'PNG signature only': valid.subarray(0, 8),
    'PNG with a corrupt header CRC': Buffer.concat([valid.subarray(0, 29), Buffer.from([0, 0, 0, 0]), valid.subarray(33)]),
    'PNG with flipped data bytes': Buffer.from(valid.map((byte, i) => (i > 60 && i < valid.length - 20 ? byte ^ 0x5a : byte))),
    'text file': Buffer.from('this is not an image, just text\n'),
    'JSON': Buffer.from('{"image": "no"}'),
    'SVG (not a supported format)': Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'),
    'GIF (not a supported format)': gif,
    'JPEG header then garbage': Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.alloc(300, 0x41)]),
    'ZIP archive': Buffer.from([0x50, 0x4b, 0x03, 0x04, ...Array.from({ length: 100 }, () => 0)]),
    'HTML with script': Buffer.from('<html><script>alert(1)</script></html>'),
    'single zero byte': Buffer.from([0]),
    'TIFF header only': Buffer.from([0x49, 0x49, 0x2a, 0x00, 0x08, 0x00, 0x00, 0x00]),
  };
}

function json(url: string, body: unknown, headers: Record<string, string> = {}): InjectOptions {
  return { method: 'POST', url, payload: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } };
}

function image(url: string, bytes: Uint8Array, headers: Record<string, string> = {}, fields: Record<string, string> = {}): InjectOptions {
  const body = multipartBody([...Object.entries(fields).map(([name, data]) => ({ name, data })), { name: 'image', filename: 'x.png', contentType: 'image/png', data: bytes }]);
  return { method: 'POST', url, payload: body.payload, headers: { ...body.headers, ...headers } };
}

export interface HostileContext {
  key: string;
  /** A valid small PNG. */
  valid: Buffer;
  /** A PNG whose real pixel count exceeds the server's limit. */
  bomb: Buffer;
  /** Upload limit of the server (bytes). */
  uploadBytes: number;
  /** JSON body limit of the server (bytes). */
  jsonBodyBytes: number;
  /** An id present in the gallery. */
  existingId: number;
  /** The gallery-relative path of an indexed image file. */
  existingPath: string;
}

/**
 * Symbolic links (and a folder named like an image) the hostile suite puts in the gallery folder
 * before running the cases, by gallery-relative name: uploads must never go through the links, and
 * must create nothing at their targets.
 */
export const GALLERY_TRAPS = {
  /** A folder outside the gallery. */
  escape: 'escape',
  /** A link to a file that does not exist. */
  dangling: 'dangling',
  /** The same dangling link, named like an image. */
  danglingImage: 'dangling.png',
  /** A link to itself. */
  loop: 'loop',
  /** Two links pointing at each other. */
  loopA: 'loop-a',
  loopB: 'loop-b',
  /** A link to a folder inside the gallery. */
  inside: 'inside',
  /** A folder whose name ends like an image. */
  folderImage: 'folder.png',
} as const;

/** The hostile requests: malformed, wrong, oversized, traversing, unauthenticated. */
export async function hostileCases(context: HostileContext): Promise<HostileCase[]> {
  const { key, valid } = context;
  const auth = { 'x-api-key': key };
  const cases: HostileCase[] = [];
  const add = (name: string, request: InjectOptions, status: number, code: string, message?: string | RegExp): void => {
    cases.push({ name, request, status, code, message });
  };

  // Malformed JSON.
  const badJson = ['{', '{"query":}', '{"query": "a",}', "{'query': 'a'}", '[', 'nul', 'undefined', '{"query": "a"', '{"query": "a"}}', '{"query": "\\x41"}', '{"query": "a" "k": 1}', '{"query": NaN}', '{"query": "a", "k": Infinity}', '{"query": 0x10}', '//comment\n{"query":"a"}', '{"query":"a"}{"query":"b"}'];
  for (const body of badJson) {
    add(`text search with malformed JSON ${JSON.stringify(body)}`, json('/api/search/text', body), 400, 'invalid_json');
    add(`embed text with malformed JSON ${JSON.stringify(body)}`, json('/api/embed/text', body.replace('query', 'texts')), 400, 'invalid_json');
  }
  add('text search with an empty JSON body', json('/api/search/text', ''), 400, 'invalid_json');

  // Wrong types and values.
  const wrongQueries: Array<[string, unknown, string | RegExp]> = [
    ['number query', { query: 42 }, 'body.query'],
    ['array query', { query: ['a', 'b'] }, 'body.query'],
    ['object query', { query: { $ne: '' } }, 'body.query'],
    ['null query', { query: null }, 'body.query'],
    ['boolean query', { query: true }, 'body.query'],
    ['blank query', { query: '   ' }, 'must not be blank'],
    ['punctuation-only query', { query: '?!.,;' }, 'no words left after normalisation'],
    ['query over the length limit', { query: 'a '.repeat(600) }, 'at most 1000 characters'],
    ['string k', { query: 'a', k: '5' }, 'k must be a number'],
    ['fractional k', { query: 'a', k: 2.5 }, 'k must be an integer'],
    ['zero k', { query: 'a', k: 0 }, 'k must be at least 1'],
    ['negative k', { query: 'a', k: -3 }, 'k must be at least 1'],
    ['k over the limit', { query: 'a', k: 101 }, 'k must be at most 100'],
    ['huge k', { query: 'a', k: 1e308 }, 'body.k'],
    ['huge negative k', { query: 'a', k: -1e308 }, 'body.k'],
    ['k beyond double range', '{"query": "a", "k": 1e400}', 'body.k'],
    ['k as an integer beyond 2^53', '{"query": "a", "k": 123456789012345678901234567890}', 'body.k'],
    ['null k', { query: 'a', k: null }, 'body.k'],
    ['array k', { query: 'a', k: [1] }, 'body.k'],
    ['missing query', { k: 5 }, 'body.query'],
    ['empty object', {}, 'body.query'],
    ['unknown field', { query: 'a', limit: 5 }, 'unknown field "limit"'],
    ['JSON array body', [{ query: 'a' }], 'invalid request'],
    ['JSON string body', '"a query"', 'invalid request'],
    ['JSON number body', '12', 'invalid request'],
    ['JSON null body', 'null', 'invalid request'],
  ];
  for (const [name, body, message] of wrongQueries) add(`text search: ${name}`, json('/api/search/text', body), 400, 'invalid_request', message);
  // Valid JSON that tries to set an object's prototype: refused, saying which key and where.
  const poisoned: Array<[string, string, string, string]> = [
    ['__proto__ at the top', '/api/search/text', '{"query": "a", "__proto__": {"admin": true}}', 'body.__proto__: the key __proto__ is not allowed'],
    ['__proto__ with escaped letters', '/api/search/text', '{"query": "a", "\\u005f_proto__": {"admin": true}}', 'body.__proto__: the key __proto__ is not allowed'],
    ['__proto__ inside an array item', '/api/embed/text', '{"texts": ["a", {"__proto__": {"admin": true}}]}', 'body.texts.1.__proto__: the key __proto__ is not allowed'],
    ['__proto__ deep inside', '/api/search/text', '{"query": "a", "x": {"y": [{"z": {"__proto__": null}}]}}', 'body.x.y.0.z.__proto__'],
    ['constructor.prototype', '/api/search/text', '{"query": "a", "constructor": {"prototype": {"admin": true}}}', 'body.constructor.prototype: the key constructor.prototype is not allowed'],
  ];
  for (const [name, url, body, message] of poisoned) add(`${url}: ${name} (prototype poisoning)`, json(url, body), 400, 'invalid_request', message);

  // Many or huge unknown keys: the error names a few and counts the rest.
  const manyKeys = Object.fromEntries(Array.from({ length: 1500 }, (_, i) => [`k${i}`, 0]));
  add('text search with 1,500 unknown keys', json('/api/search/text', { query: 'a', ...manyKeys }), 400, 'invalid_request', /^invalid request: body: unknown fields "k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9" … and 1,490 more$/);
  add('text search with one 12 KB unknown key', json('/api/search/text', { query: 'a', ['x'.repeat(12_000)]: 1 }), 400, 'invalid_request', /^invalid request: body: unknown field "x{100}…"$/);
  add('text search with an unknown key nested 5,000 arrays deep', json('/api/search/text', `{"query": "a", "deep": ${'['.repeat(5000)}${']'.repeat(5000)}}`), 400, 'invalid_request', 'unknown field "deep"');

  // JSON in another character set than UTF-8.
  for (const type of ['application/json; charset=latin1', 'application/json; charset=ISO-8859-1', 'Application/JSON; Charset="UTF-16"', 'application/json;charset=us-ascii', 'application/json; charset=utf-7']) {
    add(`text search as ${type}`, json('/api/search/text', { query: 'a river' }, { 'content-type': type }), 415, 'unsupported_media_type', /only UTF-8/);
  }

  const wrongEmbeds: Array<[string, unknown, string]> = [
    ['texts missing', {}, 'body.texts'],
    ['texts empty', { texts: [] }, 'at least one text'],
    ['texts a string', { texts: 'a river' }, 'texts must be an array'],
    ['texts with a number', { texts: ['a', 1] }, 'body.texts.1'],
    ['texts with a blank', { texts: ['a', ' '] }, 'body.texts.1'],
    ['too many texts', { texts: Array.from({ length: 65 }, () => 'a river') }, 'at most 64 texts'],
    ['a text over the length limit', { texts: ['x'.repeat(1001)] }, 'at most 1000 characters'],
    ['texts of punctuation', { texts: ['a river', '...'] }, 'body.texts.1'],
  ];
  for (const [name, body, message] of wrongEmbeds) add(`embed text: ${name}`, json('/api/embed/text', body), 400, 'invalid_request', message);

  // Oversized bodies.
  add('text search body over the JSON limit', json('/api/search/text', JSON.stringify({ query: 'a', pad: 'x'.repeat(context.jsonBodyBytes) })), 413, 'body_too_large');
  add('embed text body over the JSON limit', json('/api/embed/text', JSON.stringify({ texts: Array.from({ length: 40 }, () => 'y'.repeat(context.jsonBodyBytes / 30)) })), 413, 'body_too_large');
  const oversized = Buffer.alloc(context.uploadBytes + 1024, 7);
  for (const url of ['/api/search/image', '/api/search/image/captions', '/api/embed/image']) add(`${url}: upload over the size limit`, image(url, oversized), 413, 'body_too_large');
  add('gallery add: upload over the size limit', image('/api/gallery', oversized, auth), 413, 'body_too_large');

  // Decompression bombs.
  for (const url of ['/api/search/image', '/api/search/image/captions', '/api/embed/image']) {
    add(`${url}: image over the pixel limit`, image(url, context.bomb), 413, 'image_too_large', 'decompression bomb');
    add(`${url}: PNG header claiming 50000×50000 pixels`, image(url, lyingPng(50_000, 50_000)), 413, 'image_too_large', 'exceeds maxPixels');
  }
  add('gallery add: image over the pixel limit', image('/api/gallery', context.bomb, auth), 413, 'image_too_large');
  add('gallery add: PNG header claiming 10^6 × 10^5 pixels', image('/api/gallery', lyingPng(1_000_000, 100_000), auth), 413, 'image_too_large');
  add('gallery add: PNG header claiming 2^31 × 2 pixels (beyond what libvips reads)', image('/api/gallery', lyingPng(2 ** 31 - 1, 2), auth), 400, 'invalid_image');

  // Corrupt and unsupported images, on every image endpoint.
  for (const [name, bytes] of Object.entries(await corruptImages(valid))) {
    for (const url of ['/api/search/image', '/api/search/image/captions', '/api/embed/image']) add(`${url}: ${name}`, image(url, bytes), 400, 'invalid_image');
    add(`gallery add: ${name}`, image('/api/gallery', bytes, auth), 400, 'invalid_image');
  }
  add('image search: empty file', image('/api/search/image', Buffer.alloc(0)), 400, 'invalid_image', 'empty');

  // Malformed multipart.
  const boundary = 'harma-test-boundary';
  const raw = (url: string, payload: string | Buffer, contentType: string, headers: Record<string, string> = {}): InjectOptions => ({ method: 'POST', url, payload, headers: { 'content-type': contentType, ...headers } });
  const multipart = `multipart/form-data; boundary=${boundary}`;
  const filePart = (field: string, data: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="x.png"\r\nContent-Type: image/png\r\n\r\n${data}\r\n`;
  const textPart = (field: string, data: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${field}"\r\n\r\n${data}\r\n`;
  const end = `--${boundary}--\r\n`;
  for (const url of ['/api/search/image', '/api/embed/image', '/api/search/image/captions']) {
    add(`${url}: JSON instead of multipart`, json(url, { image: 'aGVsbG8=' }), 415, 'unsupported_media_type');
    add(`${url}: raw PNG body`, raw(url, valid, 'image/png'), 415, 'unsupported_media_type');
    add(`${url}: text/plain body`, raw(url, 'hello', 'text/plain'), 415, 'unsupported_media_type');
    add(`${url}: no image field`, raw(url, textPart('note', 'hi') + end, multipart), 400, 'invalid_request');
    add(`${url}: image under another field name`, raw(url, filePart('picture', 'x') + end, multipart), 400, 'invalid_request', 'form.picture');
    add(`${url}: two images`, raw(url, filePart('image', 'a') + filePart('image', 'b') + end, multipart), 400, 'invalid_request');
    add(`${url}: image sent as a text field`, raw(url, textPart('image', 'not a file') + end, multipart), 400, 'invalid_request');
    add(`${url}: truncated multipart body`, raw(url, `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="x.png"\r\n\r\nabc`, multipart), 400, 'invalid_request');
    add(`${url}: multipart without a boundary`, raw(url, filePart('image', 'x') + end, 'multipart/form-data'), 400, 'invalid_request');
    add(`${url}: garbage multipart`, raw(url, 'this is not multipart at all', multipart), 400, 'invalid_request');
  }
  add('image search: unknown text field', image('/api/search/image', valid, {}, { colour: 'red' }), 400, 'invalid_request', 'form.colour');
  add('gallery add: path field over 2 KiB', image('/api/gallery', valid, auth, { path: `${'a'.repeat(3000)}.png` }), 413, 'body_too_large');

  // Query strings.
  for (const [name, query, message] of [
    ['k not a number', 'k=abc', 'k must be a decimal integer'],
    ['k zero', 'k=0', 'k must be at least 1'],
    ['k negative', 'k=-1', 'k must be a decimal integer'],
    ['k over the limit', 'k=101', 'k must be at most 100'],
    ['k huge', 'k=99999999999999999999', 'k must be a decimal integer'],
    ['k in exponent form', 'k=1e2', 'k must be a decimal integer'],
    ['k in hex', 'k=0x10', 'k must be a decimal integer'],
    ['k empty', 'k=', 'k must be a decimal integer'],
    ['k twice', 'k=1&k=2', 'query.k'],
    ['k with spaces', 'k=%2010', 'k must be a decimal integer'],
    ['unknown parameter', 'k=3&sort=asc', 'unknown field "sort"'],
  ] as const) {
    add(`image search query: ${name}`, image(`/api/search/image?${query}`, valid), 400, 'invalid_request', message);
  }
  for (const [name, query] of [
    ['negative offset', 'offset=-1'],
    ['zero limit', 'limit=0'],
    ['limit over the page size', 'limit=100000'],
    ['limit not a number', 'limit=ten'],
    ['prefix over 1024 characters', `prefix=${'a'.repeat(1100)}`],
    ['unknown parameter', 'order=desc'],
    ['offset beyond 2^53', 'offset=9007199254740993'],
  ] as const) {
    add(`gallery list: ${name}`, { method: 'GET', url: `/api/gallery?${query}` }, 400, 'invalid_request');
  }

  // Ids and traversal in gallery and thumbnail paths.
  const badIds = ['0', '-1', '1.5', '1e3', '0x10', 'abc', '99999999999999999999', '..%2F..%2Fetc%2Fpasswd', '..%252F..%252Fetc', '%00', '1%00', ' 1', 'NaN', 'Infinity'];
  for (const id of badIds) {
    add(`thumbnail of id ${JSON.stringify(id)}`, { method: 'GET', url: `/api/gallery/${id}/thumbnail` }, 400, 'invalid_request');
    add(`gallery item ${JSON.stringify(id)}`, { method: 'GET', url: `/api/gallery/${id}` }, 400, 'invalid_request');
    add(`delete id ${JSON.stringify(id)}`, { method: 'DELETE', url: `/api/gallery/${id}`, headers: auth }, 400, 'invalid_request');
  }
  // `inject` resolves an encoded `..` segment in the URL before routing (another, missing endpoint);
  // over a socket it arrives as it is, an id that is not a number.
  const dotDot = { status: 400, code: 'invalid_request' };
  cases.push({ name: 'thumbnail of id "%2e%2e"', request: { method: 'GET', url: '/api/gallery/%2e%2e/thumbnail' }, status: 404, code: 'not_found', overSocket: dotDot });
  cases.push({ name: 'delete id "%2e%2e"', request: { method: 'DELETE', url: '/api/gallery/%2e%2e', headers: auth }, status: 404, code: 'not_found', overSocket: dotDot });
  add('thumbnail of a missing id', { method: 'GET', url: '/api/gallery/987654/thumbnail' }, 404, 'not_found');
  add('delete a missing id', { method: 'DELETE', url: '/api/gallery/987654', headers: auth }, 404, 'not_found');
  for (const url of ['/static/../package.json', '/static/..%2f..%2fpackage.json', '/static/%2e%2e/%2e%2e/package.json', '/static/app.js/../../../etc/passwd', '/../../etc/passwd', '/api/../../../etc/passwd', '/static/', '/web/index.html', '/.harma-index/index.sqlite', '/api/gallery/1/thumbnail/../../../../etc/passwd', '//etc/passwd']) {
    add(`path traversal ${url}`, { method: 'GET', url }, 404, 'not_found');
  }
  for (const target of ['../outside.png', '../../etc/cron.d/x.png', '/abs/path.png', 'a/../../x.png', './x.png', 'a\\..\\..\\x.png', 'x.png\u0000.jpg', '.harma-index/x.png', 'uploads/.hidden.png', 'C:\\x.png', 'a//x.png', 'dir/', 'notes.txt', 'escape/x.png', 'escape/deeper/x.png']) {
    add(`gallery add to ${JSON.stringify(target)}`, image('/api/gallery', valid, auth, { path: target }), 400, 'invalid_path');
  }
  // Upload paths the filesystem refuses or that go through symbolic links: a 400 naming the field
  // before anything is written (name length is counted in UTF-8 bytes, 255 per name).
  const refusedPaths: Array<[string, string | RegExp]> = [
    [`${'a'.repeat(300)}.png`, /path: the name .* bytes in UTF-8; file and folder names may have at most 255/],
    [`${'€'.repeat(90)}.png`, /path: .*274 bytes.*255/],
    [`${'ü'.repeat(126)}.png`, /path: .*256 bytes/],
    [`uploads/${'b'.repeat(252)}.png`, /path: .*256 bytes/],
    [`${'d'.repeat(300)}/x.png`, /path: the name .* bytes in UTF-8; file and folder names may have at most 255/],
    [`new/${'e'.repeat(300)}/x.png`, /path: the name .* bytes in UTF-8; file and folder names may have at most 255/],
    [`${'f/'.repeat(300)}x.png`, /path: .*at most 32 segments/],
    [`${'€'.repeat(340)}/x.png`, /path: .*1024 bytes/],
    [`${context.existingPath}/x.png`, /path: .*is a file, not a folder/],
    [`${context.existingPath}/deeper/x.png`, /path: .*is a file, not a folder/],
    [`${GALLERY_TRAPS.dangling}/x.png`, /path: .*dangling/],
    [`${GALLERY_TRAPS.dangling}/deeper/x.png`, /path: .*dangling/],
    [`${GALLERY_TRAPS.loop}/x.png`, /path: .*loop/],
    [`${GALLERY_TRAPS.loopA}/x.png`, /path: .*loop/],
    [`${GALLERY_TRAPS.escape}/newdir/x.png`, /path: .*outside the gallery/],
    [`${GALLERY_TRAPS.escape}/deeper/newdir/x.png`, /path: .*outside the gallery/],
    [`${GALLERY_TRAPS.inside}/x.png`, /path: .*symbolic link/],
    [`${GALLERY_TRAPS.inside}/newdir/x.png`, /path: .*symbolic link/],
  ];
  for (const [target, message] of refusedPaths) {
    add(`gallery add to ${JSON.stringify(target.length > 60 ? `${target.slice(0, 40)}…(${Buffer.byteLength(target)} bytes)` : target)}`, image('/api/gallery', valid, auth, { path: target }), 400, 'invalid_path', message);
  }
  // Something already has the name: a conflict, and nothing is replaced.
  add('gallery add over an indexed file', image('/api/gallery', valid, auth, { path: context.existingPath }), 409, 'already_exists');
  add('gallery add over a dangling symbolic link', image('/api/gallery', valid, auth, { path: GALLERY_TRAPS.danglingImage }), 409, 'already_exists');
  add('gallery add over a folder', image('/api/gallery', valid, auth, { path: GALLERY_TRAPS.folderImage }), 409, 'already_exists');
  add('bad percent-encoding in the URL', { method: 'GET', url: '/api/gallery/%E0%A4%A' }, 400, 'invalid_request');

  // Keys.
  const writes: Array<[string, InjectOptions]> = [
    ['add', image('/api/gallery', valid)],
    ['delete', { method: 'DELETE', url: `/api/gallery/${context.existingId}` }],
    ['reindex', { method: 'POST', url: '/api/gallery/reindex' }],
  ];
  for (const [name, request] of writes) {
    add(`${name} without a key`, request, 401, 'unauthorized');
    add(`${name} with a wrong key`, { ...request, headers: { ...request.headers, 'x-api-key': `${key}x` } }, 401, 'unauthorized', 'wrong');
    add(`${name} with the key in the query string`, { ...request, url: `${request.url}${request.url?.toString().includes('?') ? '&' : '?'}api_key=${key}` }, 401, 'unauthorized');
    add(`${name} with an empty bearer token`, { ...request, headers: { ...request.headers, authorization: 'Bearer ' } }, 401, 'unauthorized');
    add(`${name} with basic auth`, { ...request, headers: { ...request.headers, authorization: `Basic ${Buffer.from(`admin:${key}`).toString('base64')}` } }, 401, 'unauthorized');
    add(`${name} with a key of another case`, { ...request, headers: { ...request.headers, 'x-api-key': key.toUpperCase() } }, 401, 'unauthorized');
  }

  // Unknown routes and methods.
  for (const [method, url] of [
    ['GET', '/api/search/text'],
    ['PUT', '/api/gallery'],
    ['PATCH', '/api/gallery/1'],
    ['DELETE', '/api/gallery'],
    ['GET', '/api/admin'],
    ['POST', '/healthz'],
    ['GET', `/api/${'x'.repeat(5000)}`],
    ['GET', '/api/gallery/1/original'],
  ] as const) {
    add(`${method} ${url.slice(0, 40)}`, { method, url }, 404, 'not_found');
  }
  return cases;
}
