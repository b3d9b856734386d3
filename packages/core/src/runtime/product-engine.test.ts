import v8 from 'node:v8';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type * as ProductEngineModule from './product-engine';

afterEach(() => {
  vi.doUnmock('./onnxruntime-products/onnxruntime-binding');
  vi.resetModules();
  delete process.env.HARMA_PRODUCTS;
  delete process.env.HARMA_PRODUCT_THREADS;
  delete process.env.HARMA_ARRAY_BUFFER_SWEEPING;
  vi.restoreAllMocks();
});

/** A fresh copy of the module, optionally with onnxruntime-node failing to load. */
async function freshEngineModule(bindingFails?: string): Promise<typeof ProductEngineModule> {
  vi.resetModules();
  if (bindingFails) {
    vi.doMock('./onnxruntime-products/onnxruntime-binding', () => ({
      loadOnnxRuntimeBinding: () => {
        throw new Error(bindingFails);
      },
    }));
  }
  return import('./product-engine');
}

describe('chooseProductEngine', () => {
  it('takes ONNX Runtime where it loads, with the threads asked for', async () => {
    const { chooseProductEngine } = await freshEngineModule();
    const { choice, products } = chooseProductEngine({ productThreads: 2 });
    expect(choice).toEqual({ engine: 'onnxruntime', threads: 2, forced: false, arrayBufferSweeping: 'foreground' });
    expect(products?.threads).toBe(2);
    expect(chooseProductEngine({ productThreads: 2 }).products).toBe(products);
  });

  it('falls back to XNNPACK with the reason when onnxruntime-node cannot load, and a forced ONNX Runtime then fails', async () => {
    const { chooseProductEngine } = await freshEngineModule("Cannot find module 'onnxruntime-node'");
    expect(chooseProductEngine().choice).toEqual({ engine: 'xnnpack', threads: 1, forced: false, unavailable: "Cannot find module 'onnxruntime-node'" });
    expect(() => chooseProductEngine({ products: 'onnxruntime' })).toThrow("HARMA_PRODUCTS=onnxruntime: Cannot find module 'onnxruntime-node'");
  });

  it('reads HARMA_PRODUCTS and HARMA_PRODUCT_THREADS, and rejects values that are not engines or thread counts', async () => {
    const { chooseProductEngine } = await freshEngineModule();
    process.env.HARMA_PRODUCTS = 'xnnpack';
    expect(chooseProductEngine().choice).toEqual({ engine: 'xnnpack', threads: 1, forced: true });
    process.env.HARMA_PRODUCTS = 'onnxruntime';
    process.env.HARMA_PRODUCT_THREADS = '2';
    expect(chooseProductEngine().choice).toEqual({ engine: 'onnxruntime', threads: 2, forced: true, arrayBufferSweeping: 'foreground' });
    process.env.HARMA_PRODUCTS = 'mkl';
    expect(() => chooseProductEngine()).toThrow('HARMA_PRODUCTS=mkl is not a product engine; use one of onnxruntime, xnnpack');
    process.env.HARMA_PRODUCTS = '';
    process.env.HARMA_PRODUCT_THREADS = 'two';
    expect(() => chooseProductEngine()).toThrow('HARMA_PRODUCT_THREADS=two is not a positive integer');
  });

  it('has V8 free the output copies in the foreground on ONNX Runtime unless asked otherwise, and leaves V8 alone on XNNPACK', async () => {
    const flags = vi.spyOn(v8, 'setFlagsFromString');
    const { chooseProductEngine } = await freshEngineModule();
    chooseProductEngine({ products: 'xnnpack' });
    expect(flags).not.toHaveBeenCalled();
    chooseProductEngine();
    expect(flags.mock.calls).toEqual([['--no-concurrent-array-buffer-sweeping']]);
    // The same settings again reuse the engine and set nothing; another choice applies at once.
    chooseProductEngine();
    expect(flags).toHaveBeenCalledTimes(1);
    expect(chooseProductEngine({ arrayBufferSweeping: 'background' }).choice.arrayBufferSweeping).toBe('background');
    expect(flags.mock.calls[1]).toEqual(['--concurrent-array-buffer-sweeping']);
    process.env.HARMA_ARRAY_BUFFER_SWEEPING = 'foreground';
    expect(chooseProductEngine().choice.arrayBufferSweeping).toBe('foreground');
    expect(flags.mock.calls[2]).toEqual(['--no-concurrent-array-buffer-sweeping']);
    process.env.HARMA_ARRAY_BUFFER_SWEEPING = 'idle';
    expect(() => chooseProductEngine()).toThrow('HARMA_ARRAY_BUFFER_SWEEPING=idle is not a choice; use one of foreground, background (default: foreground)');
  });

  it('says layers should use the flag-free layout only on XNNPACK under the wasm backend', async () => {
    const { useBackend } = await import('./init-backend');
    const { productsOnXnnpack } = await import('./product-engine');
    await useBackend('wasm', { products: 'xnnpack' });
    expect(productsOnXnnpack()).toBe(true);
    await useBackend('wasm', { products: 'onnxruntime' });
    expect(productsOnXnnpack()).toBe(false);
    await useBackend('cpu');
    expect(productsOnXnnpack()).toBe(false);
    expect(tf.getBackend()).toBe('cpu');
  });
});
