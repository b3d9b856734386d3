import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { withCreationLock } from './creation-lock';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('withCreationLock', () => {
  it('runs concurrent callers on one local folder one at a time, and leaves no lock behind', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'creation-lock-'));
    const events: string[] = [];
    const work = (name: string) => async (): Promise<string> => {
      events.push(`${name} start`);
      await new Promise((resolve) => setTimeout(resolve, 60));
      events.push(`${name} end`);
      return name;
    };
    const results = await Promise.all([withCreationLock(dir, work('a')), withCreationLock(`file://${dir}`, work('b'))]);
    expect(results).toEqual(['a', 'b']);
    // Never two starts in a row: the second caller waited for the first to finish.
    for (let i = 0; i < events.length; i += 2) expect([events[i]?.split(' ')[1], events[i + 1]?.split(' ')[1]]).toEqual(['start', 'end']);
    expect(await readdir(dir)).toEqual([]);
  });

  it('takes over a lock left by a process that no longer runs', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'creation-lock-'));
    await writeFile(path.join(dir, '.harma-create.lock'), '2147483646');
    await expect(withCreationLock(dir, async () => 'done')).resolves.toBe('done');
  });

  it('runs unlocked on an object store URI, where no file can be shared', async () => {
    await expect(withCreationLock('s3://bucket/gallery', async () => 'done')).resolves.toBe('done');
  });
});
