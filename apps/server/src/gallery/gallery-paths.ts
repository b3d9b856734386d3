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

const MAX_PATH_CHARS = 1024;
// Control characters, and characters Windows refuses, are never part of a gallery path.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f\\:*?"<>|]/;

/**
 * Check a gallery-relative path given by a client (`uploads/a.png`) and return its normalised form.
 * Refused: empty, absolute, `..` or `.` segments, hidden (dot) segments, backslashes, control
 * characters, more than 1024 characters, or a name without an image extension. Whatever passes
 * stays inside the gallery folder by construction.
 */
export function checkGalleryPath(input: string, field = 'path'): string {
  const fail = (reason: string): never => {
    throw new ApiError(400, 'invalid_path', `${field}: ${reason}`, { field });
  };
  if (input.length === 0) fail('must not be empty');
  if (input.length > MAX_PATH_CHARS) fail(`must be at most ${MAX_PATH_CHARS} characters`);
  if (FORBIDDEN.test(input)) fail('must not contain control characters, backslashes or any of : * ? " < > |');
  if (input.startsWith('/')) fail('must be relative to the gallery folder, not absolute');
  const segments = input.split('/');
  for (const segment of segments) {
    if (segment === '') fail('must not contain empty segments (`//` or a trailing `/`)');
    if (segment === '.' || segment === '..') fail('must not contain `.` or `..` segments');
    if (segment.startsWith('.')) fail('must not name hidden files or folders (segments starting with `.`)');
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
