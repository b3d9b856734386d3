import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { createServer, type HarmaServer } from '../../src/server';
import type { ServerOptions } from '../../src/options';
import { writeTestImages } from './test-images';
import { exportTinyModel } from './tiny-model';

/** Log lines a test logger collected (pino JSON objects). */
export interface CapturedLogs {
  logger: Logger;
  lines: Array<Record<string, unknown>>;
}

/** A pino logger keeping every line in memory (level `info` unless given). */
export function captureLogs(level = 'info'): CapturedLogs {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

export interface ServerFixture {
  root: string;
  model: string;
  gallery: string;
  /** Relative paths of the images written at start. */
  images: string[];
  logs: CapturedLogs;
  server: HarmaServer;
  /** Close the server and create a new one on the same folders (a restart). */
  restart(overrides?: Partial<ServerOptions>): Promise<HarmaServer>;
  cleanup(): Promise<void>;
}

/** A temporary folder with the tiny model exported, `images` test images, and a server on them (not listening, nothing indexed yet). */
export async function serverFixture(options: { images?: number; overrides?: Partial<ServerOptions>; captions?: string[] } = {}): Promise<ServerFixture> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'harma-server-test-'));
  const model = await exportTinyModel(path.join(root, 'model'));
  const gallery = path.join(root, 'gallery');
  const images = await writeTestImages(gallery, options.images ?? 12);
  const logs = captureLogs();
  // The index in the fixture's folder, never in the user's cache.
  const base: ServerOptions = { model, gallery, indexDir: path.join(root, 'index'), port: 0, rateLimit: false, apiKey: 'test-key-123456', ...options.overrides };
  const fixture: ServerFixture = {
    root,
    model,
    gallery,
    images,
    logs,
    server: await createServer(base, { logger: logs.logger }),
    async restart(overrides = {}) {
      await fixture.server.close();
      fixture.server = await createServer({ ...base, ...overrides }, { logger: logs.logger });
      return fixture.server;
    },
    async cleanup() {
      await fixture.server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
  return fixture;
}
