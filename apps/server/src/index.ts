// The public door of @harma/server: the retrieval service as a library (`createServer`,
// `startServer`), its options schema (the single source of truth for every CLI), and the pieces a
// custom deployment may reuse.

// Server
export { createServer, startServer } from './server';
export type { HarmaServer, ServerDependencies } from './server';
export { serverOptionsSchema, resolveServerOptions, ENGINES } from './options';
export type { ServerOptions, ResolvedServerOptions, EngineChoice } from './options';
export { serveCommand, serverOptionsFromFlags } from './cli/serve-command';
export { serveUntilSignal } from './cli/serve-until-signal';
export { indexCommand } from './cli/index-command';
export { siteCommand } from './cli/site-command';

// Model
export { loadModelEncoder } from './encoder/load-model-encoder';
export type { LoadModelOptions } from './encoder/load-model-encoder';
export type { ServerEncoder, PreparedImage, PrepareImageOptions } from './encoder/server-encoder';

// Gallery and index
export { Gallery } from './gallery/gallery';
export type { GalleryOptions, GalleryHit } from './gallery/gallery';
export type { IndexingProgress } from './gallery/index-gallery';
export { scanGallery } from './gallery/scan-gallery';
export type { GalleryFile } from './gallery/scan-gallery';
export { parseShard, shardOf } from './gallery/shard';
export type { Shard } from './gallery/shard';
export { STORE_KINDS } from './store/gallery-store';
export type { GalleryStore, StoreKind, StoreHit, StoreChange, CachedCaption } from './store/gallery-store';
export { SqliteGalleryStore } from './store/sqlite-gallery-store';
export type { SqliteStoreOptions } from './store/sqlite-gallery-store';
export { LanceGalleryStore, DEFAULT_LANCE_TUNING } from './store/lance-gallery-store';
export type { LanceStoreOptions, LanceTuning } from './store/lance-gallery-store';
export { MetadataStore } from './store/metadata-store';
export type { ImageRecord, NewImage, SkippedFile } from './store/metadata-store';
export { VectorIndex } from './store/vector-index';
export type { VectorIndexOptions, VectorHit } from './store/vector-index';

// Captions
export { readCaptionFile } from './captions/caption-file';
export type { CaptionEntry } from './captions/caption-file';
export { CaptionGallery } from './captions/caption-gallery';
export type { CaptionHit } from './captions/caption-gallery';

// Errors
export { ApiError } from './errors';
export type { ApiErrorCode, ErrorBody } from './errors';

// Static site (search in the browser)
export { writeStaticSite } from './site/write-static-site';
export type { StaticSiteOptions, StaticSite, SiteProgress } from './site/write-static-site';
export type { SitePrecision } from './site/site-model';
export type { SiteManifest, SiteImage } from './site/site-manifest';
export type { SkippedSiteFile } from './site/embed-site-gallery';
