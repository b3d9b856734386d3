import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** Bytes of every file under `dir` (what the index takes on disk). */
export async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const absolute = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await folderBytes(absolute);
    else if (entry.isFile()) total += (await stat(absolute)).size;
  }
  return total;
}
