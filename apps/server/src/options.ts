import path from 'node:path';
import { z } from 'zod/v4';
import { defaultIndexDir } from './gallery/index-location';
import { parseShard } from './gallery/shard';
import { STORE_KINDS } from './store/gallery-store';
import { DEFAULT_LANCE_TUNING } from './store/lance-gallery-store';

/** Inference engines the server can load a model folder with. */
export const ENGINES = ['auto', 'ort', 'tfjs'] as const;
export type EngineChoice = (typeof ENGINES)[number];

const positiveInt = (max: number) => z.number().int().min(1).max(max);

const limitsSchema = z
  .object({
    /** Largest JSON request body in bytes. */
    jsonBodyBytes: positiveInt(64 * 1024 * 1024).default(256 * 1024),
    /** Largest uploaded image file in bytes. */
    uploadBytes: positiveInt(1024 * 1024 * 1024).default(16 * 1024 * 1024),
    /** Largest image (width × height) decoded, for uploads and gallery files alike: decompression bombs are refused. */
    maxImagePixels: positiveInt(1_000_000_000).default(40_000_000),
    /** Longest text query, in characters. */
    maxQueryChars: positiveInt(100_000).default(1000),
    /** Largest `k` a search accepts. */
    maxTopK: positiveInt(10_000).default(100),
    /** Most texts one embedding request may carry. */
    maxBatchTexts: positiveInt(4096).default(64),
    /** Largest page of the gallery listing. */
    maxPageSize: positiveInt(100_000).default(500),
  })
  .strict();

const rateLimitSchema = z
  .object({
    /** Requests one client (IP address) may make per window. */
    max: positiveInt(10_000_000).default(600),
    /** Window length in milliseconds. */
    windowMs: positiveInt(24 * 3600 * 1000).default(60_000),
  })
  .strict();

const vectorIndexSchema = z
  .object({
    /** HNSW graph degree. */
    m: z.number().int().min(2).max(128).default(16),
    /** HNSW candidate list while building. */
    efConstruction: z.number().int().min(8).max(2000).default(100),
    /** HNSW candidate list while searching (raised to k when k is larger). */
    efSearch: z.number().int().min(1).max(10_000).default(128),
    /** Write a snapshot of the vector index after this many changes (the change log covers the rest). */
    snapshotEvery: positiveInt(100_000_000).default(5000),
  })
  .strict();

const lanceSchema = z
  .object({
    /** Table name (`<name>_skipped` and `<name>_captions` sit beside it). */
    table: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only').default(DEFAULT_LANCE_TUNING.table),
    /** How often a reader looks for other processes' commits, in ms (0: on every read). */
    refreshMs: z.number().int().min(0).max(3_600_000).default(DEFAULT_LANCE_TUNING.refreshMs),
    /** Build the vector index (IVF-PQ, cosine) once the table holds this many rows; smaller tables are searched exactly. */
    indexMinRows: positiveInt(1_000_000_000).default(DEFAULT_LANCE_TUNING.indexMinRows),
    /** Fold new rows into the vector index once this many (and a tenth of the indexed ones) are outside it. */
    indexBatchRows: positiveInt(1_000_000_000).default(DEFAULT_LANCE_TUNING.indexBatchRows),
    /** IVF partitions probed per query (0: a twentieth of the partitions, at least 20). */
    nprobes: z.number().int().min(0).max(100_000).default(DEFAULT_LANCE_TUNING.nprobes),
    /** Candidates re-ranked on the stored full vectors, as a multiple of k. */
    refineFactor: positiveInt(1000).default(DEFAULT_LANCE_TUNING.refineFactor),
    /** Object-store settings passed to LanceDB (credentials, endpoint, region); its environment variables work too. */
    storageOptions: z.record(z.string(), z.string()).optional(),
  })
  .strict();

/**
 * Options of `createServer` / `startServer` and of `harma-server serve` (the single source of truth:
 * the CLI and `harma serve` only map their flags onto this object). Every field is documented with
 * its default.
 */
export const serverOptionsSchema = z
  .object({
    /** Model folder written by `harma export` (a Hugging Face folder: `config.json`, `onnx/vision_model.onnx`, `onnx/text_model.onnx`, the tokenizer's files). Required unless an encoder is passed to `createServer`. */
    model: z.string().min(1).optional(),
    /** Folder of images to index and search (searched recursively; dot-files and symlinks are skipped). */
    gallery: z.string().min(1),
    /** Where the index lives (SQLite metadata + HNSW vectors + thumbnails + lock). Default: `<gallery>/.harma-index` if it exists (earlier versions put it there), else `$XDG_CACHE_HOME/harma/index/<hash of the gallery's real path>` (`~/.cache` without XDG_CACHE_HOME); nothing is written into the gallery. */
    indexDir: z.string().min(1).optional(),
    /** Caption gallery for image → caption search: an annotation JSON (RSITMD/RSICD layout), a JSON array of strings, or a text file with one caption per line. Default: none. */
    captions: z.string().min(1).optional(),
    /** Interface to listen on. Default: 127.0.0.1 (loopback only). */
    host: z.string().min(1).default('127.0.0.1'),
    /** TCP port; 0 picks a free one. Default: 8080. */
    port: z.number().int().min(0).max(65535).default(8080),
    /** API key for write endpoints (gallery add/delete/reindex), sent as `x-api-key` or `Authorization: Bearer`. Without it, write endpoints are disabled (403). */
    apiKey: z.string().min(8, 'an API key must have at least 8 characters').max(512).optional(),
    /** Require the API key for every endpoint except `/healthz` and the web page's static files. Default: false. */
    requireKeyForReads: z.boolean().default(false),
    /** `ort` (onnxruntime-node on the model folder's ONNX graphs), `tfjs` (the training-time model from `weights` + `adapters`), or `auto` (ONNX Runtime when the ONNX files exist and load, else tfjs when `weights` are given). Default: auto. */
    engine: z.enum(ENGINES).default('auto'),
    /** ONNX Runtime weights: the exported float32 graphs or their int8 dynamic-quantised variants. Default: fp32. */
    precision: z.enum(['fp32', 'int8']).default('fp32'),
    /** ONNX Runtime threads per model call. Default: every core. */
    threads: z.number().int().min(1).max(1024).optional(),
    /** Read the tokenizer from this file or folder instead of the files the model folder names (for version-1 folders whose vocabulary lives elsewhere). Default: the model folder's. */
    vocabulary: z.string().min(1).optional(),
    /** tfjs engine: backbone weight file(s) (any format @harma/backbones reads). */
    weights: z.array(z.string().min(1)).min(1).optional(),
    /** tfjs engine: adapters file written by `saveAdapters` (HarMA, LoRA or CLIP-Adapter). */
    adapters: z.string().min(1).optional(),
    /** Worker threads that decode and preprocess images (uploads and gallery files) off the event loop. Default: cores − 1, at least 1 and at most 4. */
    imageThreads: z.number().int().min(1).max(64).optional(),
    /** Images per encoder call while indexing. Default: 16. */
    batchSize: positiveInt(1024).default(16),
    /** Index the gallery (new and changed files) when the server starts. Default: true. */
    indexOnStart: z.boolean().default(true),
    /** Side of the thumbnails the page shows, in pixels. Default: 256. */
    thumbnailSize: z.number().int().min(16).max(2048).default(256),
    limits: limitsSchema.default(limitsSchema.parse({})),
    /** Per-client rate limit, or false to disable. Every request counts (wrong keys, unknown routes and refused requests too) except `/healthz`. Default: 600 requests per minute. */
    rateLimit: z.union([rateLimitSchema, z.literal(false)]).default(rateLimitSchema.parse({})),
    /**
     * Which peers are proxies whose `X-Forwarded-For` names the client (for the rate limit and logs):
     * false (default: the TCP peer is the client, the header is ignored), a comma-separated list of
     * proxy addresses or subnets (`127.0.0.1`, `10.0.0.0/8`, `loopback`), or true (trust the header
     * from anyone: only when no client can reach the server but through the proxy).
     */
    trustProxy: z.union([z.boolean(), z.string().min(1).max(2000)]).default(false),
    vectorIndex: vectorIndexSchema.default(vectorIndexSchema.parse({})),
    /** Where the index lives: `sqlite` (SQLite + in-memory HNSW in the index folder, one process) or `lance` (one Lance table at `storeUri`, shared by processes and machines). Default: `lance` when `storeUri` is given, else `sqlite`. */
    store: z.enum(STORE_KINDS).optional(),
    /** The Lance database: a folder, or an object-store URI (`s3://bucket/prefix`, `gs://…`, `az://…`). Default with `store: 'lance'`: `<indexDir>/lance`. */
    storeUri: z.string().min(1).optional(),
    lance: lanceSchema.default(lanceSchema.parse({})),
    /** Index only the files of this shard (`i/n`, by a stable hash of the gallery-relative path); rows of other shards are left alone. Default: every file. */
    shard: z.string().regex(/^\d+\/\d+$/, 'a shard is i/n, e.g. 0/4').optional(),
  })
  .strict();

/** What callers pass (fields with defaults may be left out). */
export type ServerOptions = z.input<typeof serverOptionsSchema>;
/** After validation and defaults. */
export type ResolvedServerOptions = Omit<z.output<typeof serverOptionsSchema>, 'store'> & { indexDir: string; store: (typeof STORE_KINDS)[number] };

/** Validate options (errors name the field) and fill in defaults; paths become absolute. */
export function resolveServerOptions(options: ServerOptions): ResolvedServerOptions {
  const parsed = serverOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(options)'}: ${issue.message}`);
    throw new Error(`invalid server options: ${problems.join('; ')}`);
  }
  const value = parsed.data;
  const gallery = path.resolve(value.gallery);
  const store = value.store ?? (value.storeUri === undefined ? 'sqlite' : 'lance');
  if (store === 'sqlite' && value.storeUri !== undefined) throw new Error('invalid server options: storeUri: a store URI needs the lance store (store: "lance", --store lance)');
  try {
    if (value.shard !== undefined) parseShard(value.shard);
  } catch (error) {
    throw new Error(`invalid server options: shard: ${error instanceof Error ? error.message : String(error)}`);
  }
  const indexDir = path.resolve(value.indexDir ?? defaultIndexDir(gallery));
  return {
    ...value,
    gallery,
    model: value.model === undefined ? undefined : path.resolve(value.model),
    captions: value.captions === undefined ? undefined : path.resolve(value.captions),
    vocabulary: value.vocabulary === undefined ? undefined : path.resolve(value.vocabulary),
    weights: value.weights?.map((file) => path.resolve(file)),
    adapters: value.adapters === undefined ? undefined : path.resolve(value.adapters),
    indexDir,
    store,
    // A local folder becomes absolute (processes started elsewhere name the same table); URIs stay as given.
    storeUri: store === 'lance' ? (value.storeUri === undefined ? path.join(indexDir, 'lance') : /^[a-z][a-z0-9+.-]*:\/\//i.test(value.storeUri) ? value.storeUri : path.resolve(value.storeUri)) : undefined,
  };
}
