import { Command, InvalidArgumentError, Option } from 'commander';
import type { ServerOptions } from '../options';

function integer(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
    return Number(value);
  };
}

interface ServeFlags {
  model?: string;
  gallery: string;
  indexDir?: string;
  captions?: string;
  host: string;
  port: number;
  apiKey?: string;
  requireKeyForReads?: boolean;
  engine: 'auto' | 'ort' | 'tfjs';
  precision: 'fp32' | 'int8';
  threads?: number;
  imageThreads?: number;
  vocabulary?: string;
  weights?: string[];
  adapters?: string;
  batchSize: number;
  index: boolean;
  rateLimit: number;
  trustProxy?: string;
  maxUploadBytes?: number;
  maxImagePixels?: number;
  store?: 'sqlite' | 'lance';
  storeUri?: string;
  shard?: string;
}

/** Map parsed `serve`/`index` flags to server options (the schema validates them). */
export function serverOptionsFromFlags(flags: ServeFlags): ServerOptions {
  const limits: NonNullable<ServerOptions['limits']> = {};
  if (flags.maxUploadBytes !== undefined) limits.uploadBytes = flags.maxUploadBytes;
  if (flags.maxImagePixels !== undefined) limits.maxImagePixels = flags.maxImagePixels;
  return {
    model: flags.model,
    gallery: flags.gallery,
    indexDir: flags.indexDir,
    captions: flags.captions,
    host: flags.host,
    port: flags.port,
    apiKey: flags.apiKey,
    requireKeyForReads: flags.requireKeyForReads === true,
    engine: flags.engine,
    precision: flags.precision,
    threads: flags.threads,
    imageThreads: flags.imageThreads,
    vocabulary: flags.vocabulary,
    weights: flags.weights,
    adapters: flags.adapters,
    batchSize: flags.batchSize,
    indexOnStart: flags.index,
    rateLimit: flags.rateLimit === 0 ? false : { max: flags.rateLimit },
    trustProxy: flags.trustProxy === undefined ? false : flags.trustProxy === 'true' ? true : flags.trustProxy,
    limits,
    store: flags.store,
    storeUri: flags.storeUri,
    shard: flags.shard,
  };
}

/**
 * The flags of `harma-server serve` (and `harma serve`), on a new command named `name`; the action
 * receives validated-later `ServerOptions`. Every flag maps onto one field of `serverOptionsSchema`.
 */
export function serveCommand(name: string, action: (options: ServerOptions) => Promise<void>): Command {
  return new Command(name)
    .requiredOption('--gallery <dir>', 'folder of images to index and search')
    .option('--model <dir>', 'model folder written by `harma export` (config.json, onnx/vision_model.onnx, onnx/text_model.onnx, the tokenizer files)')
    .option('--index-dir <dir>', "where the index lives (default: the gallery's .harma-index if it exists, else $XDG_CACHE_HOME/harma/index/<hash of the gallery's path>, ~/.cache without XDG_CACHE_HOME); with --store lance only thumbnails")
    .addOption(new Option('--store <kind>', 'sqlite: SQLite + in-memory HNSW in the index folder (one process); lance: one Lance table several processes and machines share (default: lance with --store-uri, else sqlite)').choices(['sqlite', 'lance']))
    .option('--store-uri <uri>', 'the Lance database: a folder or an object-store URI such as s3://bucket/prefix (default with --store lance: <index dir>/lance)')
    .option('--captions <file>', 'caption gallery for image → caption search: annotation JSON, JSON array of strings, or one caption per line')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'TCP port (0: any free port)', integer('--port'), 8080)
    .addOption(new Option('--api-key <key>', 'API key for write endpoints (add/delete/reindex); without it they are disabled').env('HARMA_API_KEY'))
    .option('--require-key-for-reads', 'require the API key for every endpoint except /healthz and the page')
    .addOption(new Option('--engine <engine>', 'inference engine').choices(['auto', 'ort', 'tfjs']).default('auto'))
    .addOption(new Option('--precision <precision>', 'ONNX Runtime weights').choices(['fp32', 'int8']).default('fp32'))
    .option('--threads <n>', 'ONNX Runtime threads per call (default: every core)', integer('--threads'))
    .option('--image-threads <n>', 'worker threads decoding images (default: cores - 1, 1 to 4)', integer('--image-threads'))
    .option('--vocabulary <path>', "read the tokenizer from this file or folder instead of the model folder's own (older exports whose vocabulary lives elsewhere)")
    .option('--weights <files...>', 'tfjs engine: backbone weight files')
    .option('--adapters <file>', 'tfjs engine: adapters file')
    .option('--batch-size <n>', 'images per encoder call while indexing', integer('--batch-size'), 16)
    .option('--no-index', 'do not index the gallery at start')
    .option('--rate-limit <n>', 'requests per minute per client, every request counted except /healthz (0: no limit)', integer('--rate-limit'), 600)
    .option('--trust-proxy <proxies>', "behind a reverse proxy: the proxies' addresses or subnets, comma-separated (e.g. 127.0.0.1 or loopback), whose X-Forwarded-For names the client; `true` trusts it from any peer (default: ignored)")
    .option('--max-upload-bytes <n>', 'largest uploaded image file', integer('--max-upload-bytes'))
    .option('--max-image-pixels <n>', 'largest image decoded (width × height)', integer('--max-image-pixels'))
    .action(async (flags: ServeFlags) => action(serverOptionsFromFlags(flags)));
}
