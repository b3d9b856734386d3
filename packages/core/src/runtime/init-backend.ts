import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as WasmBackend from '@tensorflow/tfjs-backend-wasm';
import { environmentChoice } from './environment-choice';
import { SettingError } from './setting-error';
import { getLogger, type Logger } from './logger';
import { chooseProductEngine, type ProductEngineChoice, type ProductEngineOptions } from './product-engine';
import { UntestedVersionError, checkTestedVersion, installedVersion } from './tested-versions';
import { installWasmKernelOverrides } from './wasm-overrides/install-wasm-overrides';

/** Backends in the order `initBackend` tries them. */
export const BACKEND_NAMES = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface BackendAttempt {
  backend: BackendName;
  ok: boolean;
  /** Why the backend could not be used; absent when it loaded. */
  reason?: string;
}

export interface BackendChoice {
  /** The backend now active in the tfjs engine. */
  backend: BackendName;
  /** Every backend tried, in order, with the reason each failed. */
  attempts: BackendAttempt[];
  /** Whether the choice was forced through `HARMA_BACKEND` or `options.backend`. */
  forced: boolean;
  /** On the wasm backend: the engine of its matrix products. */
  products?: ProductEngineChoice;
}

export interface InitBackendOptions extends ProductEngineOptions {
  /** Force one backend instead of the first that loads. Default: `process.env.HARMA_BACKEND`, else none. */
  backend?: BackendName;
  /** Logger for the one line that reports the choice. Default: the HarMA logger. */
  logger?: Logger;
}

const requireFromHere = createRequire(import.meta.url);
let current: Promise<BackendChoice> | undefined;

/**
 * Load the gradient registrations and the best backend this machine can run, once per process.
 *
 * Order: `@tensorflow/tfjs-node-gpu` (CUDA), `@tensorflow/tfjs-node`, the wasm backend (its .wasm
 * files resolved from node_modules), the pure-JS cpu backend. `HARMA_BACKEND` (or
 * `options.backend`) forces one and fails loudly if it cannot load. The choice and every failure
 * reason are logged once. Later calls return the first result.
 */
export function initBackend(options: InitBackendOptions = {}): Promise<BackendChoice> {
  current ??= chooseBackend(options).catch((error: unknown) => {
    current = undefined;
    throw error;
  });
  return current;
}

/** The backend chosen by `initBackend`, or undefined before it has finished. */
export function activeBackend(): BackendName | undefined {
  const name = tf.getBackend();
  if (name === 'tensorflow') return nativeFlavour ?? 'tensorflow';
  return (BACKEND_NAMES as readonly string[]).includes(name) ? (name as BackendName) : undefined;
}

let nativeFlavour: BackendName | undefined;

function parseForced(value: string | undefined): BackendName | undefined {
  return environmentChoice('HARMA_BACKEND', value, BACKEND_NAMES, { noun: 'a backend' });
}

async function chooseBackend(options: InitBackendOptions): Promise<BackendChoice> {
  const logger = options.logger ?? getLogger('runtime');
  const forced = options.backend ?? parseForced(process.env.HARMA_BACKEND);
  const candidates = forced ? [forced] : [...BACKEND_NAMES];
  const attempts: BackendAttempt[] = [];
  for (const backend of candidates) {
    try {
      const products = await useBackend(backend, options);
      attempts.push({ backend, ok: true });
      const choice: BackendChoice = { backend, attempts, forced: forced !== undefined, ...(products ? { products } : {}) };
      const productsNote = products
        ? `, matrix products on ${products.engine === 'onnxruntime' ? `ONNX Runtime (${products.threads} thread${products.threads === 1 ? '' : 's'} each)` : 'XNNPACK'}`
        : '';
      logger.info(
        { backend, forced: choice.forced, unavailable: attempts.filter((a) => !a.ok), ...(products ? { products } : {}) },
        `tensor backend: ${backend}${productsNote}`,
      );
      return choice;
    } catch (error) {
      // An untested version or a wrong setting is not a backend that cannot load: trying the next would hide it.
      if (error instanceof UntestedVersionError || error instanceof SettingError) throw error;
      attempts.push({ backend, ok: false, reason: error instanceof Error ? error.message.split('\n')[0] : String(error) });
    }
  }
  const detail = attempts.map((a) => `${a.backend}: ${a.reason ?? 'unknown'}`).join('; ');
  throw new Error(`no tensor backend could be loaded (${detail})`);
}

/**
 * Make one backend the active one now (gradients registered too), or throw why it cannot load.
 * `initBackend` is the usual entry; this one switches deliberately, e.g. to run a test on each.
 * On wasm, `options` pick the engine of its matrix products (see `ProductEngineOptions`) and the
 * choice is returned. Every tfjs package it loads must be the version @harma/core is tested with
 * (it relies on their internals), else it throws an `UntestedVersionError` saying what to do.
 */
export async function useBackend(backend: BackendName, options: ProductEngineOptions = {}): Promise<ProductEngineChoice | undefined> {
  checkTestedVersion('@tensorflow/tfjs-core', tf.version_core);
  // The umbrella package registers every gradient and the cpu backend on the shared engine.
  const umbrella = requireFromHere('@tensorflow/tfjs') as { version: { tfjs: string } };
  checkTestedVersion('@tensorflow/tfjs', umbrella.version.tfjs);
  // Production mode: no console banners from tfjs (stdout belongs to the commands' results).
  tf.env().set('PROD', true);
  switch (backend) {
    case 'tensorflow-gpu':
    case 'tensorflow': {
      // Both native packages register the same backend name, 'tensorflow'.
      const native = backend === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
      requireFromHere(native);
      checkTestedVersion(native, installedVersion(native));
      await activate('tensorflow');
      nativeFlavour = backend;
      return undefined;
    }
    case 'wasm': {
      const wasm = requireFromHere('@tensorflow/tfjs-backend-wasm') as typeof WasmBackend;
      checkTestedVersion('@tensorflow/tfjs-backend-wasm', wasm.version_wasm);
      const packageJson = requireFromHere.resolve('@tensorflow/tfjs-backend-wasm/package.json');
      // setWasmPaths wants a directory prefix ending in a separator.
      wasm.setWasmPaths(path.join(path.dirname(packageJson), 'dist') + path.sep);
      const { choice, products } = chooseProductEngine(options);
      installWasmKernelOverrides(products ? { products } : {});
      await activate('wasm');
      return choice;
    }
    case 'cpu':
      await activate('cpu');
      return undefined;
  }
}

async function activate(name: string): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tf.setBackend('${name}') returned false`);
  await tf.ready();
}
