import { defineConfig } from 'vitest/config';

/** Test settings every workspace shares; tensor work on one wasm core needs generous timeouts. */
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
