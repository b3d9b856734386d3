import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared';

// The pack check installs the tarballs from the registry and runs every package's README example
// in both module systems: minutes, not seconds.
export default mergeConfig(shared, defineConfig({ test: { testTimeout: 900_000, hookTimeout: 900_000 } }));
