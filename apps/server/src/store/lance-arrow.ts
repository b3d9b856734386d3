import { createRequire } from 'node:module';
import type * as Arrow from 'apache-arrow';

/**
 * apache-arrow as LanceDB loads it (its CommonJS build). An `import` would give the ESM build, whose
 * classes LanceDB's `instanceof` checks do not recognise: tables built from them fail its schema
 * comparison. Every Arrow object handed to LanceDB is built from this copy.
 */
export const arrow = createRequire(import.meta.url)('apache-arrow') as typeof Arrow;
