import { promises as fs, type Dirent } from 'node:fs';
import path from 'node:path';
import { isImageFile } from './gallery-paths';

/** An image file found in the gallery folder. */
export interface GalleryFile {
  /** Relative to the gallery folder, `/`-separated. */
  path: string;
  size: number;
  mtimeMs: number;
}

export interface ScanOptions {
  /** Absolute folders not to enter (the index folder when it lives inside the gallery). */
  exclude?: readonly string[];
}

/**
 * Every image file under `root`, sorted by path. Hidden entries (names starting with `.`), symbolic
 * links (they could point outside the gallery) and files of other types are skipped.
 */
export async function scanGallery(root: string, options: ScanOptions = {}): Promise<GalleryFile[]> {
  const exclude = new Set((options.exclude ?? []).map((dir) => path.resolve(dir)));
  const files: GalleryFile[] = [];
  async function walk(dir: string, prefix: string): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (error) {
      // A folder removed while scanning is simply gone; the root itself must exist.
      if (prefix === '' || (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      return;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.isSymbolicLink()) continue;
      const absolute = path.join(dir, entry.name);
      const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!exclude.has(absolute)) await walk(absolute, relative);
      } else if (entry.isFile() && isImageFile(entry.name)) {
        const stat = await fs.stat(absolute).catch(() => undefined);
        if (stat?.isFile()) files.push({ path: relative, size: stat.size, mtimeMs: stat.mtimeMs });
      }
    }
  }
  await walk(path.resolve(root), '');
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
