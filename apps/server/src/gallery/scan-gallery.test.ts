import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanGallery } from './scan-gallery';

describe('scanGallery', () => {
  let root: string;
  let outside: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'harma-scan-'));
    outside = await mkdtemp(path.join(os.tmpdir(), 'harma-scan-outside-'));
    const files: Record<string, string> = {
      'b.png': 'bb',
      'a/c.JPG': 'ccc',
      'a/d/e.tif': 'e',
      'notes.txt': 'not an image',
      '.hidden.png': 'hidden file',
      '.cache/x.png': 'hidden folder',
      'index/y.png': 'excluded folder',
    };
    for (const [name, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(root, name)), { recursive: true });
      await writeFile(path.join(root, name), content);
    }
    await writeFile(path.join(outside, 'secret.png'), 'secret');
    await symlink(path.join(outside, 'secret.png'), path.join(root, 'link.png'));
    await symlink(outside, path.join(root, 'linked-folder'));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it('lists image files with sizes, sorted, skipping hidden entries, symbolic links, other files and excluded folders', async () => {
    const files = await scanGallery(root, { exclude: [path.join(root, 'index')] });
    expect(files.map((file) => [file.path, file.size])).toEqual([
      ['a/c.JPG', 3],
      ['a/d/e.tif', 1],
      ['b.png', 2],
    ]);
    expect(files.every((file) => file.mtimeMs > 0)).toBe(true);
  });

  it('fails when the gallery folder does not exist', async () => {
    await expect(scanGallery(path.join(root, 'missing'))).rejects.toThrow('ENOENT');
  });
});
