import { promises as fs } from 'node:fs';

/** Flush a file's content to disk, e.g. before it is renamed into place. */
export async function syncFile(file: string): Promise<void> {
  const handle = await fs.open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Flush a folder's entries (renames) to disk; on file systems that refuse it the rename is still atomic. */
export async function syncDirectory(directory: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(directory, 'r');
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on directories.
  } finally {
    await handle?.close();
  }
}
