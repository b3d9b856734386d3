import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setLogger } from './logger';
import { ALLOW_UNTESTED_VERSIONS, TESTED_VERSIONS, UntestedVersionError, checkTestedVersion, installedVersion, untestedVersionMessage } from './tested-versions';
import type * as TestedVersionsModule from './tested-versions';

afterEach(() => {
  vi.doUnmock('./tested-versions');
  vi.resetModules();
  delete process.env[ALLOW_UNTESTED_VERSIONS];
});

/** Fresh runtime modules in which `name` reports `found` as its installed version. */
async function pretendInstalled(name: keyof typeof TESTED_VERSIONS, found: string): Promise<void> {
  vi.resetModules();
  vi.doMock('./tested-versions', async (importOriginal) => {
    const actual = await importOriginal<typeof TestedVersionsModule>();
    return { ...actual, checkTestedVersion: (checked: typeof name, version: string) => actual.checkTestedVersion(checked, checked === name ? found : version) };
  });
}

describe('tested versions', () => {
  it('names the package, the version found, the tested one and what to do', () => {
    expect(untestedVersionMessage('@tensorflow/tfjs-core', '4.22.0')).toBeUndefined();
    expect(untestedVersionMessage('@tensorflow/tfjs-core', '4.21.0')).toBe(
      "@tensorflow/tfjs-core 4.21.0 is installed, but @harma/core is tested with @tensorflow/tfjs-core 4.22.0 only and relies on its engine's gradient tape (tapeGradients). " +
        'Install the tested version (npm install @tensorflow/tfjs-core@4.22.0) or set HARMA_ALLOW_UNTESTED_VERSIONS=1 to try 4.21.0 anyway.',
    );
    expect(untestedVersionMessage('onnxruntime-node', '1.31.1')).toBe(
      'onnxruntime-node 1.31.1 is installed, but @harma/core is tested with onnxruntime-node 1.30.0 only and relies on its native session in dist/binding (the matrix products). ' +
        'Install the tested version (npm install onnxruntime-node@1.30.0), set HARMA_PRODUCTS=xnnpack to multiply without it, or set HARMA_ALLOW_UNTESTED_VERSIONS=1 to try 1.31.1 anyway.',
    );
    // A prerelease or a patch of the tested version is another version.
    expect(untestedVersionMessage('@tensorflow/tfjs-backend-wasm', '4.22.1')).toMatch(/^@tensorflow\/tfjs-backend-wasm 4\.22\.1 is installed/);
  });

  it('throws on an untested version, unless HARMA_ALLOW_UNTESTED_VERSIONS=1, which warns once', () => {
    expect(() => checkTestedVersion('@tensorflow/tfjs-node', '4.20.0', {})).toThrow(UntestedVersionError);
    expect(() => checkTestedVersion('@tensorflow/tfjs-node', '4.20.0', {})).toThrow('(npm install @tensorflow/tfjs-node@4.22.0), set HARMA_BACKEND=wasm to use the WebAssembly backend instead, or set HARMA_ALLOW_UNTESTED_VERSIONS=1');
    expect(() => checkTestedVersion('@tensorflow/tfjs-node', '4.20.0', { [ALLOW_UNTESTED_VERSIONS]: '0' })).toThrow(UntestedVersionError);
    const lines: string[] = [];
    setLogger(pino({ level: 'info' }, { write: (line: string) => lines.push(line) }));
    checkTestedVersion('@tensorflow/tfjs-node', '4.20.0', { [ALLOW_UNTESTED_VERSIONS]: '1' });
    checkTestedVersion('@tensorflow/tfjs-node', '4.20.0', { [ALLOW_UNTESTED_VERSIONS]: '1' });
    checkTestedVersion('@tensorflow/tfjs-node', '4.22.0', {});
    expect(lines.map((line) => JSON.parse(line) as { level: number; msg: string })).toEqual([
      expect.objectContaining({ level: 40, msg: '@tensorflow/tfjs-node 4.20.0 is not the tested 4.22.0; running anyway (HARMA_ALLOW_UNTESTED_VERSIONS=1)' }),
    ]);
  });

  it("are exactly the ranges core's package.json pins, and what this workspace installs", () => {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as Record<string, Record<string, string>>;
    const pinned = { ...manifest.dependencies, ...manifest.peerDependencies };
    for (const [name, { version }] of Object.entries(TESTED_VERSIONS)) expect(`${name}@${pinned[name]}`).toBe(`${name}@${version}`);
    expect(tf.version_core).toBe(TESTED_VERSIONS['@tensorflow/tfjs-core'].version);
    // The native tfjs packages download libtensorflow and are not installed here.
    for (const name of ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'onnxruntime-node'] as const) expect(installedVersion(name)).toBe(TESTED_VERSIONS[name].version);
  });
});

describe('start-up on an untested version', () => {
  it('initBackend fails with the message instead of falling back to the next backend', async () => {
    await pretendInstalled('@tensorflow/tfjs-backend-wasm', '4.21.0');
    const { initBackend } = await import('./init-backend');
    const logger = pino({ level: 'silent' });
    // The error itself, not "no tensor backend could be loaded (wasm: …)".
    await expect(initBackend({ backend: 'wasm', logger })).rejects.toThrow(/^@tensorflow\/tfjs-backend-wasm 4\.21\.0 is installed, but @harma\/core is tested with/);
    const forced = process.env.HARMA_BACKEND;
    delete process.env.HARMA_BACKEND;
    try {
      // Not forced: the cpu backend would load, but the untested wasm backend stops the choice.
      await expect(initBackend({ logger })).rejects.toThrow(/^@tensorflow\/tfjs-backend-wasm 4\.21\.0 is installed/);
    } finally {
      if (forced !== undefined) process.env.HARMA_BACKEND = forced;
    }
  });

  it('an untested onnxruntime-node fails the product engine choice; XNNPACK forced or the escape hatch set, it runs', async () => {
    await pretendInstalled('onnxruntime-node', '1.31.1');
    const { chooseProductEngine } = await import('./product-engine');
    expect(() => chooseProductEngine()).toThrow('onnxruntime-node 1.31.1 is installed, but @harma/core is tested with onnxruntime-node 1.30.0 only');
    expect(chooseProductEngine({ products: 'xnnpack' }).choice).toEqual({ engine: 'xnnpack', threads: 1, forced: true });
    // The fresh modules' logger, not the one imported above.
    (await import('./logger')).setLogger(pino({ level: 'silent' }));
    process.env[ALLOW_UNTESTED_VERSIONS] = '1';
    expect(chooseProductEngine().choice).toEqual({ engine: 'onnxruntime', threads: 1, forced: false, arrayBufferSweeping: 'foreground' });
  });

  it('tapeGradients refuses an untested tfjs-core', async () => {
    const { useBackend } = await import('./init-backend');
    await useBackend('cpu');
    await pretendInstalled('@tensorflow/tfjs-core', '4.21.0');
    const { tapeGradients } = await import('../module/tape-backprop');
    const x = tf.scalar(2);
    expect(() => tapeGradients(() => tf.mul(x, x), [x])).toThrow('@tensorflow/tfjs-core 4.21.0 is installed');
    x.dispose();
  });
});
