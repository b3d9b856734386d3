import { promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../errors';
import { quotePath } from './gallery-paths';

/** Where an upload goes, decided before anything is written. */
export interface UploadTarget {
  /** Absolute path of the new file, under the gallery's real path. */
  file: string;
  /** Folders to create for it, outermost first (none when its folder exists). */
  create: string[];
  /** The gallery's real path (symbolic links resolved). */
  realRoot: string;
}

function refuse(reason: string): never {
  throw new ApiError(400, 'invalid_path', `path: ${reason}`, { field: 'path' });
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** Why a symbolic link at `shown` (gallery-relative) cannot be uploaded through. */
async function refuseLink(absolute: string, shown: string, realRoot: string): Promise<never> {
  let resolved: string;
  try {
    resolved = await fs.realpath(absolute);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ELOOP') refuse(`${quotePath(shown)} is a symbolic link loop`);
    if (code === 'ENOENT' || code === 'ENOTDIR') refuse(`${quotePath(shown)} is a dangling symbolic link (its target does not exist)`);
    throw error;
  }
  const inside = path.relative(realRoot, resolved);
  if (inside.startsWith('..') || path.isAbsolute(inside)) refuse(`${quotePath(shown)} is a symbolic link that leads outside the gallery`);
  return refuse(`${quotePath(shown)} is a symbolic link; uploads are never stored through symbolic links (the index skips them)`);
}

/**
 * Decide where an upload at the checked gallery-relative path `relative` goes, touching nothing:
 * every existing component is looked at with `lstat` from the gallery's real path down, so that a
 * folder that is a file, a symbolic link (dangling, looping, leading outside the gallery or not)
 * or a name the file system refuses is a 400 naming `path` before any folder is created. A file
 * (or anything else) already at the final name is a 409.
 */
export async function planUpload(root: string, relative: string): Promise<UploadTarget> {
  const realRoot = await fs.realpath(root);
  const segments = relative.split('/');
  const create: string[] = [];
  let current = realRoot;
  for (const [index, segment] of segments.entries()) {
    current = path.join(current, segment);
    const shown = segments.slice(0, index + 1).join('/');
    const last = index === segments.length - 1;
    if (create.length > 0) {
      // Below a folder that does not exist, nothing exists either.
      if (!last) create.push(current);
      continue;
    }
    let stat: Stats;
    try {
      stat = await fs.lstat(current);
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENAMETOOLONG') refuse(`${quotePath(shown)} is longer than the file system allows`);
      if (code !== 'ENOENT') throw error;
      if (!last) create.push(current);
      continue;
    }
    if (last) throw new ApiError(409, 'already_exists', `path: ${relative} already exists in the gallery folder`, { field: 'path' });
    if (stat.isSymbolicLink()) await refuseLink(current, shown, realRoot);
    if (!stat.isDirectory()) refuse(`${quotePath(shown)} is a file, not a folder`);
  }
  return { file: current, create, realRoot };
}

/**
 * Create the folders `target` needs (one by one, none of them existing before) and return those
 * created, for `removeCreatedFolders` if the upload fails later. Folders that appeared meanwhile
 * must be real folders; otherwise the ones created so far are removed and the upload refused.
 */
export async function createUploadFolders(target: UploadTarget): Promise<string[]> {
  const created: string[] = [];
  try {
    for (const folder of target.create) {
      try {
        await fs.mkdir(folder);
        created.push(folder);
      } catch (error) {
        if (errorCode(error) !== 'EEXIST') throw error;
        const stat = await fs.lstat(folder);
        if (!stat.isDirectory()) refuse(`${quotePath(path.relative(target.realRoot, folder))} appeared meanwhile and is not a folder`);
      }
    }
  } catch (error) {
    await removeCreatedFolders(created);
    throw error;
  }
  return created;
}

/** Remove folders `createUploadFolders` made, innermost first, as long as they are empty. */
export async function removeCreatedFolders(created: readonly string[]): Promise<void> {
  for (const folder of [...created].reverse()) {
    await fs.rmdir(folder).catch(() => undefined);
  }
}
