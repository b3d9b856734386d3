import { createRequire } from 'node:module';
import { getLogger } from './logger';

/**
 * The one version of each package whose internals @harma/core relies on that it is tested with
 * (its package.json pins the same ranges), what it relies on, and what else a user can do.
 */
export const TESTED_VERSIONS = {
  '@tensorflow/tfjs-core': { version: '4.22.0', uses: "its engine's gradient tape (tapeGradients)" },
  '@tensorflow/tfjs': { version: '4.22.0', uses: 'its gradient registrations on the same engine' },
  '@tensorflow/tfjs-backend-wasm': {
    version: '4.22.0',
    uses: 'its backend object and heap (the BatchMatMul, Slice, SplitV, Transpose and Identity kernels it replaces)',
  },
  '@tensorflow/tfjs-node': { version: '4.22.0', uses: 'its backend on the same engine', otherwise: 'set HARMA_BACKEND=wasm to use the WebAssembly backend instead' },
  '@tensorflow/tfjs-node-gpu': { version: '4.22.0', uses: 'its backend on the same engine', otherwise: 'set HARMA_BACKEND=wasm to use the WebAssembly backend instead' },
  'onnxruntime-node': {
    version: '1.30.0',
    uses: 'its native session in dist/binding (the matrix products)',
    otherwise: 'set HARMA_PRODUCTS=xnnpack to multiply without it',
  },
} as const satisfies Record<string, { version: string; uses: string; otherwise?: string }>;

export type TestedPackage = keyof typeof TESTED_VERSIONS;

/** Set to `1` to run with a version other than the tested one (a warning is logged once). */
export const ALLOW_UNTESTED_VERSIONS = 'HARMA_ALLOW_UNTESTED_VERSIONS';

/** A package @harma/core relies on is installed in a version it is not tested with. */
export class UntestedVersionError extends Error {
  override readonly name = 'UntestedVersionError';
}

/** What is wrong and what to do when `found` is not the tested version of `name`; undefined when it is. */
export function untestedVersionMessage(name: TestedPackage, found: string): string | undefined {
  const tested: { version: string; uses: string; otherwise?: string } = TESTED_VERSIONS[name];
  if (found === tested.version) return undefined;
  const otherwise = tested.otherwise ? `, ${tested.otherwise},` : '';
  return (
    `${name} ${found} is installed, but @harma/core is tested with ${name} ${tested.version} only and relies on ${tested.uses}. ` +
    `Install the tested version (npm install ${name}@${tested.version})${otherwise} or set ${ALLOW_UNTESTED_VERSIONS}=1 to try ${found} anyway.`
  );
}

const warned = new Set<string>();

/**
 * Throw an `UntestedVersionError` unless `found` is the tested version of `name`. With
 * `HARMA_ALLOW_UNTESTED_VERSIONS=1` in `environment` it logs a warning instead, once per version.
 */
export function checkTestedVersion(name: TestedPackage, found: string, environment: NodeJS.ProcessEnv = process.env): void {
  const message = untestedVersionMessage(name, found);
  if (message === undefined) return;
  if (environment[ALLOW_UNTESTED_VERSIONS] !== '1') throw new UntestedVersionError(message);
  if (warned.has(`${name}@${found}`)) return;
  warned.add(`${name}@${found}`);
  getLogger('runtime').warn(
    { package: name, found, tested: TESTED_VERSIONS[name].version },
    `${name} ${found} is not the tested ${TESTED_VERSIONS[name].version}; running anyway (${ALLOW_UNTESTED_VERSIONS}=1)`,
  );
}

const requireFromHere = createRequire(import.meta.url);

/** The version of an installed package, from the package.json `require` finds from @harma/core. */
export function installedVersion(name: TestedPackage): string {
  return (requireFromHere(`${name}/package.json`) as { version: string }).version;
}
