import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';

/** A file a site copies from elsewhere: where it is and where it goes in the site. */
export interface SiteFile {
  /** Absolute path of the original. */
  source: string;
  /** Path inside the site folder, `/`-separated. */
  target: string;
}

/** Copy `files` into the site folder `root`; an error names the file that could not be copied. */
export async function copySiteFiles(root: string, files: readonly SiteFile[]): Promise<void> {
  for (const file of files) {
    const target = path.join(root, ...file.target.split('/'));
    await mkdir(path.dirname(target), { recursive: true });
    try {
      await copyFile(file.source, target);
    } catch (error) {
      throw new Error(`cannot copy ${file.source} into the site as ${file.target}: ${(error as Error).message}`, { cause: error });
    }
  }
}
