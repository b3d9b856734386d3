import type { BackendName } from '../runtime/init-backend';

/** Backends that always load in Node without native downloads: what `describe.each` runs tests on. */
export const PORTABLE_BACKENDS: BackendName[] = ['cpu', 'wasm'];
