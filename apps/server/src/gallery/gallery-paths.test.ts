import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors';
import { checkGalleryPath, isImageFile, resolveInGallery } from './gallery-paths';

function refusal(input: string): string {
  try {
    checkGalleryPath(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).statusCode).toBe(400);
    expect((error as ApiError).code).toBe('invalid_path');
    return (error as ApiError).message;
  }
  throw new Error(`${JSON.stringify(input)} was accepted`);
}

describe('checkGalleryPath', () => {
  it('accepts relative image paths and keeps them as given', () => {
    expect(checkGalleryPath('a.png')).toBe('a.png');
    expect(checkGalleryPath('uploads/2024/scene one.JPG')).toBe('uploads/2024/scene one.JPG');
    expect(checkGalleryPath('x/y.tiff')).toBe('x/y.tiff');
    // At the limits: a 255-byte name (85 three-byte characters), 32 segments.
    expect(checkGalleryPath(`${'€'.repeat(83)}xy.png`)).toBe(`${'€'.repeat(83)}xy.png`);
    expect(checkGalleryPath(`${'f/'.repeat(31)}x.png`)).toBe(`${'f/'.repeat(31)}x.png`);
  });

  it.each([
    ['../etc/passwd.png', '`.` or `..`'],
    ['a/../../b.png', '`.` or `..`'],
    ['./a.png', '`.` or `..`'],
    ['/etc/a.png', 'not absolute'],
    ['a\\..\\b.png', 'backslashes'],
    ['a/.hidden/b.png', 'hidden'],
    ['.harma-index/index.png', 'hidden'],
    ['a//b.png', 'empty segments'],
    ['a/', 'empty segments'],
    ['a\u0000.png', 'control characters'],
    ['C:/x.png', 'control characters, backslashes or any of'],
    ['notes.txt', 'image extension'],
    ['image.png.exe', 'image extension'],
    ['', 'must not be empty'],
    [`${'a/'.repeat(600)}b.png`, 'at most 1024 bytes in UTF-8 (it has 1205)'],
    [`${'€'.repeat(400)}.png`, 'at most 1024 bytes in UTF-8 (it has 1204)'],
    [`${'a'.repeat(252)}.png`, 'has 256 bytes in UTF-8; file and folder names may have at most 255'],
    [`${'€'.repeat(90)}.png`, 'has 274 bytes'],
    [`${'d'.repeat(256)}/x.png`, 'has 256 bytes'],
    [`${'f/'.repeat(32)}x.png`, 'at most 32 segments (folders and the file name; it has 33)'],
  ])('refuses %j', (input, reason) => {
    expect(refusal(input)).toContain(reason);
  });
});

describe('resolveInGallery', () => {
  it('resolves inside the gallery and refuses what would leave it', () => {
    const root = path.resolve('/srv/gallery');
    expect(resolveInGallery(root, 'a/b.png')).toBe(path.join(root, 'a', 'b.png'));
    expect(() => resolveInGallery(root, '../x.png')).toThrow('outside the gallery');
    expect(() => resolveInGallery(root, '')).toThrow('outside the gallery');
  });

  it('knows image extensions case-insensitively', () => {
    expect(isImageFile('A.TIF')).toBe(true);
    expect(isImageFile('a.gif')).toBe(false);
  });
});
