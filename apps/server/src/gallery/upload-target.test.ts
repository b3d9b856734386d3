import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../errors';
import { createUploadFolders, planUpload, removeCreatedFolders } from './upload-target';

describe('planUpload', () => {
  let base: string;
  let root: string;
  let outside: string;

  beforeAll(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'harma-upload-target-'));
    root = path.join(base, 'gallery');
    outside = path.join(base, 'outside');
    await mkdir(path.join(root, 'a', 'b'), { recursive: true });
    await mkdir(outside);
    await writeFile(path.join(root, 'a', 'file.png'), 'x');
    await symlink(outside, path.join(root, 'out'));
    await symlink(path.join(base, 'missing'), path.join(root, 'dangling'));
    await symlink('self', path.join(root, 'self'));
    await symlink('b', path.join(root, 'a', 'link-to-b'));
  });

  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  const refusal = async (relative: string): Promise<ApiError> => {
    const error = await planUpload(root, relative).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error, relative).toBeInstanceOf(ApiError);
    return error as ApiError;
  };

  it('lists the folders to create, outermost first, and touches nothing', async () => {
    expect(await planUpload(root, 'a/b/x.png')).toEqual({ file: path.join(root, 'a', 'b', 'x.png'), create: [], realRoot: root });
    expect(await planUpload(root, 'a/new/deeper/x.png')).toMatchObject({ create: [path.join(root, 'a', 'new'), path.join(root, 'a', 'new', 'deeper')] });
    expect(await readdir(path.join(root, 'a'))).toEqual(['b', 'file.png', 'link-to-b']);
  });

  it.each([
    ['a/file.png/x.png', '"a/file.png" is a file, not a folder'],
    ['a/file.png/new/x.png', '"a/file.png" is a file, not a folder'],
    ['dangling/x.png', '"dangling" is a dangling symbolic link'],
    ['self/x.png', '"self" is a symbolic link loop'],
    ['out/x.png', '"out" is a symbolic link that leads outside the gallery'],
    ['out/new/x.png', '"out" is a symbolic link that leads outside the gallery'],
    ['a/link-to-b/x.png', '"a/link-to-b" is a symbolic link; uploads are never stored through symbolic links'],
  ])('refuses %j with a 400 naming the path', async (relative, message) => {
    const error = await refusal(relative);
    expect(error).toMatchObject({ statusCode: 400, code: 'invalid_path', details: { field: 'path' } });
    expect(error.message.startsWith(`path: ${message}`), error.message).toBe(true);
    expect(await readdir(outside)).toEqual([]);
  });

  it('answers 409 for anything already at the name, links included', async () => {
    for (const relative of ['a/file.png', 'a/b', 'dangling', 'self']) expect(await refusal(relative)).toMatchObject({ statusCode: 409, code: 'already_exists' });
  });

  it('creates the planned folders and removes them again, innermost first; a folder that became a file meanwhile is refused', async () => {
    const target = await planUpload(root, 'a/new/deeper/x.png');
    const created = await createUploadFolders(target);
    expect(created).toEqual(target.create);
    await removeCreatedFolders(created);
    expect(await readdir(path.join(root, 'a'))).toEqual(['b', 'file.png', 'link-to-b']);

    const raced = await planUpload(root, 'n1/n2/n3/x.png');
    await mkdir(path.join(root, 'n1'));
    await writeFile(path.join(root, 'n1', 'n2'), 'a file that appeared after the plan');
    await expect(createUploadFolders(raced)).rejects.toThrow('path: "n1/n2" appeared meanwhile and is not a folder');
    // n1 existed already (made by someone else): it stays; nothing was created below it.
    expect(await readdir(path.join(root, 'n1'))).toEqual(['n2']);
  });
});
