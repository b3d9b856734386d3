import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { GalleryFile } from './scan-gallery';

/** Gallery files larger than this are not read (recorded as skipped). */
export const MAX_GALLERY_FILE_BYTES = 512 * 1024 * 1024;

/** Size and modification time of a gallery file when it was read. */
export interface FileStamp {
  size: number;
  mtimeMs: number;
}

/** What reading a scanned gallery file gave: its bytes, a reason to skip it, or nothing (it vanished). */
export type GalleryFileRead = { kind: 'read'; bytes: Uint8Array; stamp: FileStamp } | { kind: 'skipped'; reason: string; stamp: FileStamp } | { kind: 'gone' };

/**
 * Read the bytes of a file a scan found under `root`. A file that vanished since the scan is
 * `gone`; one larger than `MAX_GALLERY_FILE_BYTES` or unreadable is `skipped` with a reason that
 * names no absolute path (reasons are shown to API clients and in published sites).
 */
export async function readGalleryFile(root: string, file: GalleryFile): Promise<GalleryFileRead> {
  const absolute = path.join(root, ...file.path.split('/'));
  const stat = await fs.stat(absolute).catch(() => undefined);
  if (stat === undefined || !stat.isFile()) return { kind: 'gone' };
  const stamp = { size: stat.size, mtimeMs: stat.mtimeMs };
  if (stat.size > MAX_GALLERY_FILE_BYTES) return { kind: 'skipped', reason: `file of ${stat.size} bytes exceeds ${MAX_GALLERY_FILE_BYTES}`, stamp };
  try {
    return { kind: 'read', bytes: await fs.readFile(absolute), stamp };
  } catch (error) {
    return { kind: 'skipped', reason: `unreadable (${(error as NodeJS.ErrnoException).code ?? 'read error'})`, stamp };
  }
}
