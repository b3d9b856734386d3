import { promises as fs } from 'node:fs';
import path from 'node:path';
import { isAlive } from './index-lock';

/** How long a process waits for another to finish creating the tables before it gives up. */
const WAIT_MS = 120_000;

/** A URI with a scheme other than file:// names an object store, where no lock file can be shared. */
function localFolder(uri: string): string | undefined {
  if (uri.startsWith('file://')) return new URL(uri).pathname;
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(uri) ? undefined : uri;
}

/**
 * Run `work` (opening or creating a Lance folder's tables) while holding `<folder>/.harma-create.lock`,
 * so that processes sharing one local folder create each table once: Lance commits a second,
 * concurrent creation of a table as an overwrite, which would drop rows another process wrote in
 * between. A lock left by a process that no longer runs is taken over. On an object store the work
 * runs unlocked (docs/scaling.md: start one shard first there).
 */
export async function withCreationLock<T>(uri: string, work: () => Promise<T>): Promise<T> {
  const folder = localFolder(uri);
  if (folder === undefined) return work();
  await fs.mkdir(folder, { recursive: true });
  const file = path.join(folder, '.harma-create.lock');
  const started = Date.now();
  for (;;) {
    try {
      await fs.writeFile(file, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number.parseInt(await fs.readFile(file, 'utf8').catch(() => ''), 10);
      // An empty file is a lock being written this instant: wait for it like a live one.
      if (Number.isInteger(holder) && holder > 0 && !isAlive(holder)) {
        await fs.rm(file, { force: true });
        continue;
      }
      if (Date.now() - started > WAIT_MS) {
        throw new Error(`process ${holder} has held ${file} for over ${WAIT_MS / 1000} s while creating the lance tables at ${uri}: stop it, or remove the file if no harma process uses that folder`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  try {
    return await work();
  } finally {
    await fs.rm(file, { force: true });
  }
}
