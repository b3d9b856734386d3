import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared';

// `metrics-cases` and `golden-model-config` are entries of their own so that programs outside
// vitest (the golden CLI) can read the fixtures without loading vitest, which throws outside its runner. vitest is a devDependency, which
// tsup would bundle: a bundled copy's `describe` registers suites with no runner, so they vanish.
export default defineConfig({ ...packageBuild({ index: 'src/index.ts', 'metrics-cases': 'src/metrics-cases.ts', 'golden-model-config': 'src/golden-model-config.ts', 'cli/not-run-summary': 'src/cli/not-run-summary.ts' }), format: ['esm'], external: ['vitest'] });
