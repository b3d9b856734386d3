import type { Command } from 'commander';
import type { ServerOptions } from '../options';
import { createServer } from '../server';
import { serveCommand } from './serve-command';

/** Index the gallery (or one shard of it) into the configured store and exit: no listening. */
export async function indexOnly(options: ServerOptions): Promise<void> {
  const server = await createServer({ ...options, indexOnStart: false });
  try {
    await server.gallery.reindex();
  } finally {
    await server.close();
  }
}

/**
 * `harma-server index` and `harma index`: the serve flags plus `--shard i/n`. Several processes
 * with the shards of one `n`, on one machine or many, fill one Lance table (`--store-uri`) at once;
 * each one resumes where it stopped when run again.
 */
export function indexCommand(name: string): Command {
  return serveCommand(name, indexOnly)
    .description('index the gallery (new and changed files, or one shard of them) into the index and exit')
    .option('--shard <i/n>', 'index only shard i of n (by a stable hash of the gallery-relative path), e.g. 0/4; run one process per shard against one --store-uri');
}
