import path from 'node:path';
import { ApiError } from '../errors';

/** File extensions the gallery indexes (formats `decodeImage` reads). */
export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.tif', '.tiff', '.webp'];

/** The extension a decoded format is stored under. */
export const FORMAT_EXTENSIONS: Readonly<Record<string, readonly string[]>> = {
  jpeg: ['.jpg', '.jpeg'],
  png: ['.png'],
  tiff: ['.tif', '.tiff'],
  webp: ['.webp'],
};

export function isImageFile(name: string): boolean {
  return IMAGE_EXTENSIONS.includes(path.extname(name).toLowerCase());
}

/** Longest gallery path a client may give, in UTF-8 bytes (well under PATH_MAX with the gallery folder in front). */
export const MAX_PATH_BYTES = 1024;
/** Longest file or folder name, in UTF-8 bytes: what Linux file systems (ext4, XFS, Btrfs, tmpfs) store. */
export const MAX_NAME_BYTES = 255;
/** Most segments (folders + the file name) of a client's gallery path. */
export const MAX_PATH_SEGMENTS = 32;
// Control characters, and characters Windows refuses, are never part of a gallery path.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f\\:*?"<>|]/;

/** Quote a client's path or name for a message, shortened when long. */
export function quotePath(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 40)}…` : value);
}

/**
 * Check a gallery-relative path given by a client (`uploads/a.png`) and return its normalised form.
 * Refused: empty, absolute, `..` or `.` segments, hidden (dot) segments, backslashes, control
 * characters, a name over 255 UTF-8 bytes (the file system's limit), more than 1024 bytes or 32
 * segments in all, or a name without an image extension. Whatever passes stays inside the gallery
 * folder by construction, as long as no symbolic link is followed (`planUpload` checks that).
 */
export function checkGalleryPath(input: string, field = 'path'): string {
  const fail = (reason: string): never => {
    throw new ApiError(400, 'invalid_path', `${field}: ${reason}`, { field });
  };
  if (input.length === 0) fail('must not be empty');
  const bytes = Buffer.byteLength(input, 'utf8');
  if (bytes > MAX_PATH_BYTES) fail(`must be at most ${MAX_PATH_BYTES} bytes in UTF-8 (it has ${bytes})`);
  if (FORBIDDEN.test(input)) fail('must not contain control characters, backslashes or any of : * ? " < > |');
  if (input.startsWith('/')) fail('must be relative to the gallery folder, not absolute');
  const segments = input.split('/');
  if (segments.length > MAX_PATH_SEGMENTS) fail(`must have at most ${MAX_PATH_SEGMENTS} segments (folders and the file name; it has ${segments.length})`);
  for (const segment of segments) {
    if (segment === '') fail('must not contain empty segments (`//` or a trailing `/`)');
    if (segment === '.' || segment === '..') fail('must not contain `.` or `..` segments');
    if (segment.startsWith('.')) fail('must not name hidden files or folders (segments starting with `.`)');
    const nameBytes = Buffer.byteLength(segment, 'utf8');
    if (nameBytes > MAX_NAME_BYTES) fail(`the name ${quotePath(segment)} has ${nameBytes} bytes in UTF-8; file and folder names may have at most ${MAX_NAME_BYTES}`);
  }
  if (!isImageFile(input)) fail(`must end with an image extension (${IMAGE_EXTENSIONS.join(', ')})`);
  return segments.join('/');
}

/** Absolute path of a checked gallery-relative path; throws if it would leave the gallery (defence in depth). */
export function resolveInGallery(galleryRoot: string, relativePath: string): string {
  const absolute = path.resolve(galleryRoot, ...relativePath.split('/'));
  const relative = path.relative(galleryRoot, absolute);
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new ApiError(400, 'invalid_path', `path ${JSON.stringify(relativePath)} is outside the gallery`);
  }
  return absolute;
}
