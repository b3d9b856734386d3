import * as tf from '@tensorflow/tfjs-core';
import { parseArrayBufferSweeping, setArrayBufferSweeping, type ArrayBufferSweeping } from './onnxruntime-products/array-buffer-sweeping';
import { OnnxRuntimeProducts } from './onnxruntime-products/onnxruntime-products';
import { environmentChoice } from './environment-choice';
import { SettingError } from './setting-error';
import { UntestedVersionError } from './tested-versions';

/** Engines for the wasm backend's float32 matrix products, in the order they are tried. */
export const PRODUCT_ENGINES = ['onnxruntime', 'xnnpack'] as const;
export type ProductEngineName = (typeof PRODUCT_ENGINES)[number];

export interface ProductEngineOptions {
  /**
   * Force an engine: `onnxruntime` (MLAS, needs the optional peer `onnxruntime-node`) or
   * `xnnpack` (the wasm backend's own). Default: `process.env.HARMA_PRODUCTS`, else the first
   * that loads.
   */
  products?: ProductEngineName;
  /** Threads of one product on ONNX Runtime. Default: `process.env.HARMA_PRODUCT_THREADS`, else 1. */
  productThreads?: number;
  /**
   * Where V8 frees the ArrayBuffers onnxruntime-node returns (a copy of every output), set for the
   * whole process when the products run on ONNX Runtime: `foreground` (by the thread that made
   * them) or `background` (V8's default; slower when every core trains, see
   * `setArrayBufferSweeping`). Default: `process.env.HARMA_ARRAY_BUFFER_SWEEPING`, else `foreground`.
   */
  arrayBufferSweeping?: ArrayBufferSweeping;
}

export interface ProductEngineChoice {
  engine: ProductEngineName;
  /** Threads of one product (1 on XNNPACK: the wasm backend has no threads). */
  threads: number;
  forced: boolean;
  /** Why ONNX Runtime is not used, when it is not. */
  unavailable?: string;
  /** On ONNX Runtime: where V8 frees the output copies (`ProductEngineOptions.arrayBufferSweeping`). */
  arrayBufferSweeping?: ArrayBufferSweeping;
}

let chosen: { key: string; choice: ProductEngineChoice; products?: OnnxRuntimeProducts } | undefined;

function parseEngine(value: string | undefined): ProductEngineName | undefined {
  return environmentChoice('HARMA_PRODUCTS', value, PRODUCT_ENGINES, { noun: 'a product engine' });
}

function parseThreads(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const threads = Number(value);
  if (!Number.isInteger(threads) || threads < 1) throw new SettingError(`HARMA_PRODUCT_THREADS=${value} is not a positive integer`);
  return threads;
}

/**
 * Multiply a small broadcast, flagged product whose operands sit at non-zero offsets of one
 * buffer (as wasm heap views do) and compare with the definition: the binding must read views in
 * place and write the output in place, or the engine is not used.
 */
function checkProducts(products: OnnxRuntimeProducts): void {
  const heap = new Float32Array(64);
  const a = heap.subarray(3, 9); // [1, 2, 3]
  const b = heap.subarray(11, 23); // [2, 2, 3], used transposed: [2, 3, 2]
  const out = heap.subarray(30, 38); // [2, 2, 2]
  a.set([1, 2, 3, 4, 5, 6]);
  b.set([1, 0, -1, 2, 1, 0, 0.5, 0.25, 2, -3, 1, 1]);
  products.multiply({ a, aShape: [1, 2, 3], b, bShape: [2, 2, 3], out, outShape: [2, 2, 2], transposeA: false, transposeB: true });
  const expected: number[] = [];
  for (let batch = 0; batch < 2; batch++) {
    for (let row = 0; row < 2; row++) {
      for (let column = 0; column < 2; column++) {
        let sum = 0;
        for (let i = 0; i < 3; i++) sum += (a[row * 3 + i] as number) * (b[batch * 6 + column * 3 + i] as number);
        expected.push(sum);
      }
    }
  }
  const wrong = expected.findIndex((value, i) => Math.abs(value - (out[i] as number)) > 1e-5);
  if (wrong >= 0) throw new Error(`ONNX Runtime's product check gave ${Array.from(out).join(', ')} instead of ${expected.join(', ')}`);
}

/**
 * Pick the engine for the wasm backend's matrix products (once per threads setting; a forced
 * engine that cannot load throws, and so does an onnxruntime-node of a version @harma/core is not
 * tested with). ONNX Runtime runs them 3–5× faster than XNNPACK here.
 */
export function chooseProductEngine(options: ProductEngineOptions = {}): { choice: ProductEngineChoice; products?: OnnxRuntimeProducts } {
  const forcedEngine = options.products ?? parseEngine(process.env.HARMA_PRODUCTS);
  const threads = options.productThreads ?? parseThreads(process.env.HARMA_PRODUCT_THREADS) ?? 1;
  const arrayBufferSweeping = options.arrayBufferSweeping ?? parseArrayBufferSweeping(process.env.HARMA_ARRAY_BUFFER_SWEEPING) ?? 'foreground';
  const forced = forcedEngine !== undefined;
  const key = `${forcedEngine ?? 'first that loads'}, ${threads} threads`;
  if (chosen?.key === key) {
    // Where V8 sweeps is a process flag, not part of the engine: a new choice only sets the flag.
    if (chosen.products && chosen.choice.arrayBufferSweeping !== arrayBufferSweeping) {
      setArrayBufferSweeping(arrayBufferSweeping);
      chosen = { ...chosen, choice: { ...chosen.choice, arrayBufferSweeping } };
    }
    return chosen;
  }
  chosen?.products?.dispose();
  chosen = undefined;
  if (forcedEngine === 'xnnpack') {
    chosen = { key, choice: { engine: 'xnnpack', threads: 1, forced } };
    return chosen;
  }
  let products: OnnxRuntimeProducts | undefined;
  try {
    products = new OnnxRuntimeProducts({ threads });
    checkProducts(products);
    setArrayBufferSweeping(arrayBufferSweeping);
    chosen = { key, choice: { engine: 'onnxruntime', threads, forced, arrayBufferSweeping }, products };
  } catch (error) {
    products?.dispose();
    // An untested onnxruntime-node fails start-up rather than silently multiplying 3–5× slower.
    if (error instanceof UntestedVersionError) throw error;
    const reason = error instanceof Error ? error.message.split('\n')[0] ?? error.message : String(error);
    if (forced) throw new SettingError(`HARMA_PRODUCTS=onnxruntime: ${reason}`);
    chosen = { key, choice: { engine: 'xnnpack', threads: 1, forced, unavailable: reason } };
  }
  return chosen;
}

/** The engine the wasm backend's products run on, once `useBackend('wasm')` has chosen it. */
export function activeProductEngine(): ProductEngineChoice | undefined {
  return chosen?.choice;
}

/**
 * Whether matrix products now run on XNNPACK (the wasm backend without ONNX Runtime): then
 * transpose flags are slow (operands are transposed first) and every right-hand operand is packed
 * and cached for as long as its tensor lives, so layers choose a flag-free layout and transient
 * operands. Every other engine takes flags at no cost and caches nothing.
 */
export function productsOnXnnpack(): boolean {
  return tf.getBackend() === 'wasm' && chosen?.choice.engine !== 'onnxruntime';
}
