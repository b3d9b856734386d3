import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared';

// Worker entries are separate files so that worker threads can load them; the CLI is the bin.
export default defineConfig(
  packageBuild({
    index: 'src/index.ts',
    'workers/synthetic-worker': 'src/workers/synthetic-worker.ts',
    'workers/image-worker': 'src/workers/image-worker.ts',
    'workers/preprocess-worker': 'src/workers/preprocess-worker.ts',
    'cli/harma-synthetic': 'src/cli/harma-synthetic.ts',
  }),
);
