import { promises as fs } from 'node:fs';

/** Flush a file's content to disk before it is renamed into place. */
export async function fsyncFile(file: string): Promise<void> {
  const handle = await fs.open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Flush a folder's entries (renames) to disk; file systems that refuse it still renamed atomically. */
export async function fsyncDirectory(directory: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(directory, 'r');
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on folders.
  } finally {
    await handle?.close();
  }
}
