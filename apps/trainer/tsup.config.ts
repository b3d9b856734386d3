import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared';

export default defineConfig({ ...packageBuild({ cli: 'src/cli.ts', index: 'src/index.ts', 'parallel/training-worker': 'src/parallel/training-worker.ts' }), format: ['esm'] });
