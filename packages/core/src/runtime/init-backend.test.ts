import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import pino from 'pino';
import { initBackend, useBackend } from './init-backend';

describe('initBackend', () => {
  it('picks the first backend that loads, logs the choice and why the others failed, once', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const forced = process.env.HARMA_BACKEND;
    delete process.env.HARMA_BACKEND;
    try {
      const choice = await initBackend({ logger });
      // Native tfjs-node packages are optional; wherever they are absent, wasm must win.
      const nativeLoaded = choice.attempts.some((a) => a.ok && a.backend.startsWith('tensorflow'));
      if (!nativeLoaded) expect(choice.backend).toBe('wasm');
      expect(tf.getBackend()).toBe(choice.backend === 'wasm' || choice.backend === 'cpu' ? choice.backend : 'tensorflow');
      for (const failed of choice.attempts.filter((a) => !a.ok)) expect(failed.reason).toBeTruthy();
      expect(lines).toHaveLength(1);
      const products = choice.products ? `, matrix products on ${choice.products.engine === 'onnxruntime' ? 'ONNX Runtime (1 thread each)' : 'XNNPACK'}` : '';
      expect(JSON.parse(lines[0]!).msg).toBe(`tensor backend: ${choice.backend}${products}`);
      // onnxruntime-node is installed in this workspace: the wasm backend multiplies on it.
      if (choice.backend === 'wasm') expect(choice.products).toEqual({ engine: 'onnxruntime', threads: 1, forced: false, arrayBufferSweeping: 'foreground' });
      expect(await initBackend({ logger })).toBe(choice);
      expect(lines).toHaveLength(1);
    } finally {
      if (forced !== undefined) process.env.HARMA_BACKEND = forced;
    }
  });

  it('registers gradients, so tf.grad works on every portable backend', async () => {
    for (const backend of ['cpu', 'wasm'] as const) {
      await useBackend(backend);
      const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(x, x)))(tf.tensor1d([1, -2]));
      expect(Array.from(g.dataSync())).toEqual([2, -4]);
    }
  });

  it('fails clearly when a forced backend cannot load', async () => {
    vi.resetModules();
    const fresh = await import('./init-backend');
    await expect(fresh.initBackend({ backend: 'tensorflow' })).rejects.toThrow(/no tensor backend could be loaded \(tensorflow: /);
  });

  it('fails start-up on a wrong product-engine setting instead of falling back to the cpu backend', async () => {
    for (const [variable, value, message] of [
      ['HARMA_ARRAY_BUFFER_SWEEPING', 'idle', 'HARMA_ARRAY_BUFFER_SWEEPING=idle is not a choice; use one of foreground, background (default: foreground)'],
      ['HARMA_PRODUCTS', 'mkl', 'HARMA_PRODUCTS=mkl is not a product engine; use one of onnxruntime, xnnpack'],
      ['HARMA_PRODUCT_THREADS', 'two', 'HARMA_PRODUCT_THREADS=two is not a positive integer'],
    ] as const) {
      vi.resetModules();
      const fresh = await import('./init-backend');
      const { SettingError } = await import('./setting-error');
      process.env[variable] = value;
      try {
        // The setting's own error: caught as a backend that cannot load, it would read "no tensor
        // backend could be loaded" here, and unforced the run would go on on the cpu backend.
        const failure = fresh.initBackend({ backend: 'wasm', logger: pino({ level: 'silent' }) });
        await expect(failure).rejects.toThrow(message);
        await expect(failure).rejects.toBeInstanceOf(SettingError);
      } finally {
        delete process.env[variable];
      }
    }
  });

  it('rejects an unknown HARMA_BACKEND value', async () => {
    vi.resetModules();
    const fresh = await import('./init-backend');
    process.env.HARMA_BACKEND = 'cuda';
    try {
      await expect(fresh.initBackend()).rejects.toThrow('HARMA_BACKEND=cuda is not a backend; use one of tensorflow-gpu, tensorflow, wasm, cpu');
    } finally {
      delete process.env.HARMA_BACKEND;
    }
  });
});
