import type { ServerOptions } from '../options';
import { startServer, type HarmaServer } from '../server';

/**
 * Start the server (`startServer`) and close it cleanly on SIGINT or SIGTERM (the indexing batch
 * in flight finishes and the index is saved), then exit the process: what `harma-server serve`
 * and `harma serve` run.
 */
export async function serveUntilSignal(options: ServerOptions): Promise<HarmaServer> {
  const server = await startServer(options);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    server.logger.info({ signal }, 'stopping: finishing the batch in flight and saving the index');
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        server.logger.error({ err: error }, 'stopping failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  return server;
}
