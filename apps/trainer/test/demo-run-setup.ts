import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A folder that lives as long as one `vitest run`, where the test files share one demo run (see `demo-run.ts`). */
    demoRunRoot: string;
  }
}

/** Vitest global setup: one scratch folder per run for the shared demo, removed when the run ends. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'harma-trainer-tests-'));
  project.provide('demoRunRoot', root);
  return async () => fs.rm(root, { recursive: true, force: true });
}
