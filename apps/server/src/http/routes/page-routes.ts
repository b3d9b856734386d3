import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';

/** The web page's files, read once at start (four small files: no static file server, no path to traverse). */
export interface PageFiles {
  html: string;
  script: string;
  /** The result card module the script imports (shared with the static site's page). */
  card: string;
  style: string;
}

/** Read the page from the package's `web/` folder. */
export async function readPageFiles(webDir: string): Promise<PageFiles> {
  const [html, script, card, style] = await Promise.all(['index.html', 'app.js', 'result-card.js', 'style.css'].map((name) => fs.readFile(path.join(webDir, name), 'utf8')));
  return { html: html as string, script: script as string, card: card as string, style: style as string };
}

/**
 * The page (`/`), its scripts and style sheet; no key needed, the page asks for it when reads
 * need one. They are not part of the API, so the OpenAPI document leaves them out.
 */
export function pageRoutes(app: FastifyInstance, page: PageFiles): void {
  const publicRoute = { config: { access: 'public' as const }, schema: { hide: true } };
  app.get('/', publicRoute, async (_request, reply) => reply.type('text/html; charset=utf-8').send(page.html));
  app.get('/static/app.js', publicRoute, async (_request, reply) => reply.type('text/javascript; charset=utf-8').send(page.script));
  app.get('/static/result-card.js', publicRoute, async (_request, reply) => reply.type('text/javascript; charset=utf-8').send(page.card));
  app.get('/static/style.css', publicRoute, async (_request, reply) => reply.type('text/css; charset=utf-8').send(page.style));
}
