import type { Options } from 'tsup';

/** Build settings every package shares: ESM + CJS + declarations, Node 20, no bundling of dependencies. */
export function packageBuild(entry: Record<string, string> | string[] = ['src/index.ts']): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    shims: true,
    target: 'node20',
    platform: 'node',
    splitting: false,
    treeshake: true,
  };
}
