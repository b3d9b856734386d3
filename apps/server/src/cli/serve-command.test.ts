import { describe, expect, it } from 'vitest';
import { resolveServerOptions, type ServerOptions } from '../options';
import { serveCommand } from './serve-command';

async function parse(args: string[]): Promise<ServerOptions> {
  let received: ServerOptions | undefined;
  await serveCommand('serve', async (options) => {
    received = options;
  })
    .exitOverride()
    .configureOutput({ writeErr: () => undefined })
    .parseAsync(args, { from: 'user' });
  return received as ServerOptions;
}

describe('serveCommand', () => {
  it('maps every flag onto the server options', async () => {
    const options = await parse([
      '--model', 'm', '--gallery', 'g', '--index-dir', 'i', '--captions', 'c.txt', '--host', '0.0.0.0', '--port', '9000',
      '--api-key', 'secret-key-1', '--require-key-for-reads', '--engine', 'ort', '--precision', 'int8', '--threads', '2', '--image-threads', '3',
      '--vocabulary', 'v.txt.gz', '--batch-size', '8', '--no-index', '--rate-limit', '0', '--max-upload-bytes', '1000', '--max-image-pixels', '4000',
      '--trust-proxy', 'loopback,10.0.0.0/8',
    ]);
    expect(options).toMatchObject({
      model: 'm', gallery: 'g', indexDir: 'i', captions: 'c.txt', host: '0.0.0.0', port: 9000, apiKey: 'secret-key-1', requireKeyForReads: true,
      engine: 'ort', precision: 'int8', threads: 2, imageThreads: 3, vocabulary: 'v.txt.gz', batchSize: 8, indexOnStart: false, rateLimit: false,
      limits: { uploadBytes: 1000, maxImagePixels: 4000 }, trustProxy: 'loopback,10.0.0.0/8',
    });
    expect(() => resolveServerOptions(options)).not.toThrow();
    expect((await parse(['--gallery', 'g', '--trust-proxy', 'true'])).trustProxy).toBe(true);
  });

  it('gives the documented defaults, which the schema accepts', async () => {
    const options = await parse(['--gallery', 'g', '--model', 'm']);
    expect(options).toMatchObject({ host: '127.0.0.1', port: 8080, engine: 'auto', precision: 'fp32', batchSize: 16, indexOnStart: true, rateLimit: { max: 600 }, requireKeyForReads: false, trustProxy: false });
    expect(resolveServerOptions(options).limits.uploadBytes).toBe(16 * 1024 * 1024);
  });

  it('refuses bad numbers and engines', async () => {
    await expect(parse(['--gallery', 'g', '--port', '-1'])).rejects.toThrow();
    await expect(parse(['--gallery', 'g', '--port', '8o'])).rejects.toThrow('--port must be a non-negative integer');
    await expect(parse(['--gallery', 'g', '--engine', 'gpu'])).rejects.toThrow();
    await expect(parse(['--model', 'm'])).rejects.toThrow("required option '--gallery <dir>' not specified");
  });
});
