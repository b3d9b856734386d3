import type { BackendName } from '../runtime/init-backend';
import type { ProductEngineName } from '../runtime/product-engine';

/** Backends that always load in Node without native downloads: what `describe.each` runs tests on. */
export const PORTABLE_BACKENDS: BackendName[] = ['cpu', 'wasm'];

/** A backend with, on wasm, the engine of its matrix products forced: `useBackend(backend, { products })`. */
export interface PortableRuntime {
  label: string;
  backend: BackendName;
  products?: ProductEngineName;
}

/**
 * The portable backends with the wasm backend under each product engine (layers whose layout
 * depends on the engine, such as `linear`, are tested under both). ONNX Runtime is forced, so a
 * workspace without onnxruntime-node fails these tests instead of skipping them.
 */
export const PORTABLE_RUNTIMES: PortableRuntime[] = [
  { label: 'cpu', backend: 'cpu' },
  { label: 'wasm (ONNX Runtime products)', backend: 'wasm', products: 'onnxruntime' },
  { label: 'wasm (XNNPACK products)', backend: 'wasm', products: 'xnnpack' },
];
