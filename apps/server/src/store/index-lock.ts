import { promises as fs } from 'node:fs';
import path from 'node:path';

/** Whether process `pid` runs on this machine. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Lock files this process holds (a second server in one process must be refused too). */
const held = new Set<string>();

/**
 * Hold `<dir>/server.lock` so that two servers never write one index. A lock left by a process that
 * no longer runs (killed) is taken over. Returns the function that releases it.
 */
export async function acquireIndexLock(dir: string): Promise<() => Promise<void>> {
  const file = path.join(dir, 'server.lock');
  if (held.has(file)) throw new Error(`the index at ${dir} is in use by process ${process.pid} (this process); close that server first`);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await fs.writeFile(file, String(process.pid), { flag: 'wx' });
      held.add(file);
      return async () => {
        held.delete(file);
        await fs.rm(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number.parseInt(await fs.readFile(file, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new Error(`the index at ${dir} is in use by process ${holder} (${file}); stop that server or choose another index folder`);
      }
      await fs.rm(file, { force: true });
    }
  }
  throw new Error(`could not take the index lock ${file}`);
}
