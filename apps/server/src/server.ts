import path from 'node:path';
import { getLogger } from '@harma/core';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { readCaptionFile } from './captions/caption-file';
import { CaptionGallery } from './captions/caption-gallery';
import { instrumentEncoder } from './encoder/instrumented-encoder';
import { loadModelEncoder } from './encoder/load-model-encoder';
import type { ServerEncoder } from './encoder/server-encoder';
import { Gallery } from './gallery/gallery';
import { parseShard } from './gallery/shard';
import { buildApp } from './http/build-app';
import { readPageFiles } from './http/routes/page-routes';
import { apiSchemas } from './http/schemas';
import { ServerMetrics } from './http/server-metrics';
import { resolveServerOptions, type ResolvedServerOptions, type ServerOptions } from './options';
import { packageRoot, packageVersion } from './package-files';

/** What `createServer` may be given besides options. */
export interface ServerDependencies {
  /** Use this encoder instead of loading `options.model` (tests, benchmarks, custom models). The server closes it. */
  encoder?: ServerEncoder;
  /** Logger (default: @harma/core's process logger, component `server`). */
  logger?: Logger;
}

/** A created server: the Fastify app (usable with `inject` before `listen`), its gallery and model. */
export interface HarmaServer {
  readonly app: FastifyInstance;
  readonly options: ResolvedServerOptions;
  readonly gallery: Gallery;
  readonly captions: CaptionGallery;
  readonly encoder: ServerEncoder;
  readonly logger: Logger;
  /** Listen on `options.host:options.port`; resolves to the base URL (`http://127.0.0.1:8080`). */
  listen(): Promise<string>;
  /** Stop accepting requests, stop indexing at a batch boundary, snapshot the index, release the model. */
  close(): Promise<void>;
}

/**
 * Build the service from validated options: load the model (or take `dependencies.encoder`), open
 * the gallery's index (stale vectors of another model are dropped), embed the caption gallery,
 * and assemble the HTTP app. Nothing is indexed and nothing listens yet: see `startServer`.
 */
export async function createServer(options: ServerOptions, dependencies: ServerDependencies = {}): Promise<HarmaServer> {
  const resolved = resolveServerOptions(options);
  const logger = dependencies.logger ?? getLogger('server');
  if (dependencies.encoder === undefined && resolved.model === undefined) throw new Error('invalid server options: model: a model folder is required (or pass an encoder)');
  const baseEncoder =
    dependencies.encoder ??
    (await loadModelEncoder(resolved.model as string, {
      engine: resolved.engine,
      precision: resolved.precision,
      threads: resolved.threads,
      imageThreads: resolved.imageThreads,
      vocabulary: resolved.vocabulary,
      weights: resolved.weights,
      adapters: resolved.adapters,
      logger,
    }));
  let gallery: Gallery | undefined;
  try {
    // The metrics need the gallery, and the gallery the instrumented encoder: the encoder reports through this slot.
    const metricsSlot: { metrics?: ServerMetrics } = {};
    const encoder = instrumentEncoder(baseEncoder, (modality, seconds) => metricsSlot.metrics?.encoderDuration.observe({ modality }, seconds));
    // The index is not in the image folder by default (see `defaultIndexDir`): say where it is.
    if (resolved.store === 'sqlite') logger.info({ gallery: resolved.gallery, indexDir: resolved.indexDir }, `the index of ${resolved.gallery} is in ${resolved.indexDir}`);
    else logger.info({ gallery: resolved.gallery, storeUri: resolved.storeUri, indexDir: resolved.indexDir }, `the index of ${resolved.gallery} is the lance table at ${resolved.storeUri as string} (thumbnails in ${resolved.indexDir})`);
    gallery = await Gallery.open(
      {
        root: resolved.gallery,
        indexDir: resolved.indexDir,
        batchSize: resolved.batchSize,
        maxImagePixels: resolved.limits.maxImagePixels,
        thumbnailSize: resolved.thumbnailSize,
        vectorIndex: resolved.vectorIndex,
        store: resolved.store,
        storeUri: resolved.storeUri,
        lance: resolved.lance,
        shard: resolved.shard === undefined ? undefined : parseShard(resolved.shard),
      },
      encoder,
      logger,
    );
    const openGallery = gallery;
    const captions =
      resolved.captions === undefined
        ? CaptionGallery.empty(encoder.embedDim)
        : await CaptionGallery.build(await readCaptionFile(resolved.captions), encoder, gallery.store, { batchSize: resolved.batchSize, logger });
    const metrics = new ServerMetrics({
      images: () => openGallery.size,
      captions: () => captions.size,
      pendingChanges: () => openGallery.store.pendingChanges,
      indexing: () => openGallery.indexing,
    });
    metricsSlot.metrics = metrics;
    const context = { options: resolved, gallery, captions, encoder, schemas: apiSchemas(resolved.limits), metrics };
    const app = await buildApp(context, { logger, page: await readPageFiles(path.join(packageRoot(), 'web')), version: packageVersion() });
    let closing: Promise<void> | undefined;
    return {
      app,
      options: resolved,
      gallery,
      captions,
      encoder,
      logger,
      async listen() {
        let address: string;
        try {
          address = await app.listen({ host: resolved.host, port: resolved.port });
        } catch (error) {
          throw listenError(error, resolved.host, resolved.port);
        }
        logger.info({ url: address, gallery: resolved.gallery, indexDir: resolved.indexDir, images: openGallery.size, captions: captions.size }, 'HarMA server listening');
        return address;
      },
      close() {
        closing ??= (async () => {
          await app.close();
          await openGallery.close();
          await baseEncoder.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    await gallery?.close().catch(() => undefined);
    await baseEncoder.close().catch(() => undefined);
    throw error;
  }
}

/** A failure to listen, saying what to do about the usual causes: a port in use, an address that is not this machine's. */
function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const where = `${host}:${port}`;
  if (code === 'EADDRINUSE') {
    return new Error(`${where} is already in use (another server, or an earlier one still running): choose another port with --port <n> (option \`port\`), or --port 0 for any free port`, { cause: error });
  }
  if (code === 'EADDRNOTAVAIL') return new Error(`${host} is not an address of this machine: choose another with --host (option \`host\`), e.g. 127.0.0.1 or 0.0.0.0`, { cause: error });
  return error;
}

/** Create the server, listen, and (with `indexOnStart`, the default) index the gallery in the background. */
export async function startServer(options: ServerOptions, dependencies: ServerDependencies = {}): Promise<HarmaServer & { url: string }> {
  const server = await createServer(options, dependencies);
  let url: string;
  try {
    url = await server.listen();
  } catch (error) {
    await server.close();
    throw error;
  }
  // Failures are logged and shown by /api/stats; the server keeps serving what is indexed.
  if (server.options.indexOnStart) server.gallery.reindex().catch(() => undefined);
  return Object.assign(server, { url });
}
