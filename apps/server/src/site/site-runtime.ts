import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { SiteFile } from './site-file';

/** The browser runtime a site ships: transformers.js's browser build and the ONNX Runtime Web files it loads. */
export interface SiteRuntime {
  /** transformers.js's self-contained browser bundle (ONNX Runtime Web's JavaScript inside). */
  transformers: SiteFile;
  /** ONNX Runtime Web's WebAssembly loader and binary, the plain (CPU) variant. */
  wasmLoader: SiteFile;
  wasmBinary: SiteFile;
  /** Versions of the two installed packages, recorded in `site.json`. */
  versions: { transformers: string; onnxruntimeWeb: string };
}

function packageVersion(entry: string, name: string): string {
  // Neither package exports its package.json: walk up from the resolved entry to the folder named like it.
  let dir = path.dirname(entry);
  while (path.basename(dir) !== name.split('/').pop()) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`${name}: no package folder above ${entry}`);
    dir = parent;
  }
  const json = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version?: unknown };
  if (typeof json.version !== 'string') throw new Error(`${name}: ${dir}/package.json has no version`);
  return json.version;
}

/**
 * Locate the browser runtime in the installed `@huggingface/transformers` (a dependency of this
 * package) and the `onnxruntime-web` that copy depends on, wherever npm put them. The site loads
 * ONNX Runtime Web's plain SIMD build (`ort-wasm-simd-threaded.wasm`, 14 MB) instead of the
 * WebGPU-capable one transformers.js picks by default (27 MB): the page runs on the CPU only.
 */
export function locateSiteRuntime(): SiteRuntime {
  const require = createRequire(import.meta.url);
  let transformersEntry: string;
  try {
    transformersEntry = require.resolve('@huggingface/transformers');
  } catch (error) {
    throw new Error(`harma site needs @huggingface/transformers (a dependency of @harma/server), which is not installed: ${(error as Error).message}`, { cause: error });
  }
  const fromTransformers = createRequire(transformersEntry);
  const wasm = (file: string): string => {
    try {
      return fromTransformers.resolve(`onnxruntime-web/${file}`);
    } catch (error) {
      throw new Error(`harma site: onnxruntime-web/${file} (a dependency of @huggingface/transformers) is not installed: ${(error as Error).message}`, { cause: error });
    }
  };
  const wasmBinary = wasm('ort-wasm-simd-threaded.wasm');
  return {
    transformers: { source: path.join(path.dirname(transformersEntry), 'transformers.min.js'), target: 'runtime/transformers.min.js' },
    wasmLoader: { source: wasm('ort-wasm-simd-threaded.mjs'), target: 'runtime/ort-wasm-simd-threaded.mjs' },
    wasmBinary: { source: wasmBinary, target: 'runtime/ort-wasm-simd-threaded.wasm' },
    versions: { transformers: packageVersion(transformersEntry, '@huggingface/transformers'), onnxruntimeWeb: packageVersion(wasmBinary, 'onnxruntime-web') },
  };
}
