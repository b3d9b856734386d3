/**
 * Programs that load every entry point of the installed packages, one process per module system,
 * and print what each exports as JSON — to find broken `exports` targets and ESM/CommonJS builds
 * that export different names.
 */

export interface EntryPoint {
  packageName: string;
  /** `@harma/core` or `@harma/core/testing`. */
  specifier: string;
  /** Loadable with `require()` according to the exports map. */
  requireable: boolean;
  /** Optional peers of the package: an entry may need one the project does not have. */
  optionalPeers: string[];
}

export interface LoadedEntry {
  specifier: string;
  ok: boolean;
  /** Export names (without `default` and `__esModule`). */
  names?: string[];
  error?: string;
  /** The optional peer whose absence made it fail, when that is the reason. */
  missingOptionalPeer?: string;
}

const LOADER_BODY = (load: string) => `
const entries = JSON.parse(process.argv[2]);
const results = [];
for (const entry of entries) {
  try {
    const loaded = ${load};
    const names = Object.keys(loaded).filter((n) => n !== 'default' && n !== '__esModule' && n !== 'module.exports').sort();
    results.push({ specifier: entry.specifier, ok: true, names });
  } catch (error) {
    const message = String(error && error.message || error);
    const missingOptionalPeer = entry.optionalPeers.find((peer) => (error.code === 'ERR_MODULE_NOT_FOUND' || error.code === 'MODULE_NOT_FOUND') && message.includes("'" + peer));
    results.push({ specifier: entry.specifier, ok: false, error: message.split('\\n')[0], missingOptionalPeer });
  }
}
process.stdout.write(JSON.stringify(results));
`;

/** An ES module that imports each entry. */
export const ESM_LOADER = `${LOADER_BODY('await import(entry.specifier)')}`;

/** A CommonJS script that requires each entry the exports map opens to require(). */
export const CJS_LOADER = `'use strict';\n(async () => {\n${LOADER_BODY('require(entry.specifier)').replace('const entries = JSON.parse(process.argv[2]);', 'const entries = JSON.parse(process.argv[2]).filter((e) => e.requireable);')}\n})();\n`;

/**
 * Problems in loading results: a failed entry (unless only an optional peer is missing), and any
 * entry whose ES and CommonJS builds export different names.
 */
export function compareLoads(esm: readonly LoadedEntry[], cjs: readonly LoadedEntry[], entries: readonly EntryPoint[]): { problems: string[]; notes: string[] } {
  const problems: string[] = [];
  const notes: string[] = [];
  for (const [label, results] of [['import', esm], ['require', cjs]] as const) {
    for (const result of results) {
      if (result.ok) continue;
      if (result.missingOptionalPeer) notes.push(`${label}('${result.specifier}') needs the optional peer ${result.missingOptionalPeer}, not installed here`);
      else problems.push(`${label}('${result.specifier}') fails: ${result.error}`);
    }
  }
  for (const entry of entries) {
    const a = esm.find((r) => r.specifier === entry.specifier);
    const b = cjs.find((r) => r.specifier === entry.specifier);
    if (!entry.requireable) {
      notes.push(`${entry.specifier} is ESM-only (no require condition): CommonJS code loads it with import()`);
      continue;
    }
    if (!a?.ok || !b?.ok || !a.names || !b.names) continue;
    const onlyEsm = a.names.filter((n) => !b.names?.includes(n));
    const onlyCjs = b.names.filter((n) => !a.names?.includes(n));
    if (onlyEsm.length + onlyCjs.length > 0) {
      problems.push(`${entry.specifier}: the ES and CommonJS builds export different names (only ESM: ${onlyEsm.join(', ') || '-'}; only CJS: ${onlyCjs.join(', ') || '-'})`);
    }
  }
  return { problems, notes };
}
