import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared';

// The global setup gives each run a scratch folder in which test files share one demo run.
export default mergeConfig(shared, defineConfig({ test: { globalSetup: ['test/demo-run-setup.ts'] } }));
