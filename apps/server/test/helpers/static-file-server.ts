import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/** MIME types a static host sends for a site's files (`application/wasm` lets browsers compile while downloading). */
const MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.f32': 'application/octet-stream',
  '.jpg': 'image/jpeg',
  '.txt': 'text/plain; charset=utf-8',
};

export interface StaticFileServer {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  /** Paths requested so far (with their status), in order. */
  requests: Array<{ path: string; status: number }>;
  close(): Promise<void>;
}

/**
 * A plain static file host on loopback, as any would serve a site: GET and HEAD of files under
 * `root` with their MIME type and length, `index.html` for a folder, 404 for anything else.
 */
export async function serveStaticFolder(root: string): Promise<StaticFileServer> {
  const requests: StaticFileServer['requests'] = [];
  const server: Server = createServer((request, response) => {
    void (async () => {
      const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
      let file = path.join(root, ...pathname.split('/'));
      if (!path.resolve(file).startsWith(path.resolve(root)) || (request.method !== 'GET' && request.method !== 'HEAD')) file = '';
      let info = file === '' ? undefined : await stat(file).catch(() => undefined);
      if (info?.isDirectory() === true) {
        file = path.join(file, 'index.html');
        info = await stat(file).catch(() => undefined);
      }
      if (info === undefined || !info.isFile()) {
        requests.push({ path: pathname, status: 404 });
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      requests.push({ path: pathname, status: 200 });
      response.writeHead(200, { 'content-type': MIME_TYPES[path.extname(file)] ?? 'application/octet-stream', 'content-length': info.size });
      if (request.method === 'HEAD') response.end();
      else createReadStream(file).pipe(response);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
