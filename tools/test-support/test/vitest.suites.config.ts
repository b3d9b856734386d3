import { defineConfig } from 'vitest/config';

/** Only for src/describe-with-reference-data.test.ts, which runs these suites in a child vitest. */
export default defineConfig({ test: { include: ['test/reference-data-suites.ts'], pool: 'forks', reporters: ['default'] } });
