import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCaptionFile } from './caption-file';

describe('readCaptionFile', () => {
  let dir: string;
  const write = async (name: string, content: string): Promise<string> => {
    const file = path.join(dir, name);
    await writeFile(file, content);
    return file;
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'harma-captions-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads one caption per line, skipping blank lines, and normalises like the paper', async () => {
    const file = await write('list.txt', 'Many planes are parked.\r\n\n   A river crosses the city!  \n');
    expect(await readCaptionFile(file)).toEqual([
      { text: 'Many planes are parked.', normalized: 'many planes are parked', images: [] },
      { text: 'A river crosses the city!', normalized: 'a river crosses the city', images: [] },
    ]);
  });

  it('reads a JSON array of strings and merges captions equal after normalisation', async () => {
    const file = await write('list.json', JSON.stringify(['A bridge.', 'a bridge', 'Two ships']));
    expect(await readCaptionFile(file)).toEqual([
      { text: 'A bridge.', normalized: 'a bridge', images: [] },
      { text: 'Two ships', normalized: 'two ships', images: [] },
    ]);
  });

  it('reads the evaluation annotation layout with the images each caption describes', async () => {
    const file = await write(
      'test.json',
      JSON.stringify([
        { image: 'test/airport_1.tif', caption: ['Many planes.', 'A runway.'] },
        { image: 'test/airport_2.tif', caption: ['many planes'] },
      ]),
    );
    expect(await readCaptionFile(file)).toEqual([
      { text: 'Many planes.', normalized: 'many planes', images: ['test/airport_1.tif', 'test/airport_2.tif'] },
      { text: 'A runway.', normalized: 'a runway', images: ['test/airport_1.tif'] },
    ]);
  });

  it('reads the training annotation layout', async () => {
    const file = await write('train.json', JSON.stringify([{ caption: 'A port with ships.', image: 'train/port_1.tif', image_id: 1 }]));
    expect(await readCaptionFile(file)).toEqual([{ text: 'A port with ships.', normalized: 'a port with ships', images: ['train/port_1.tif'] }]);
  });

  it('names the file and entry of bad input', async () => {
    await expect(readCaptionFile(path.join(dir, 'missing.txt'))).rejects.toThrow(/missing\.txt: cannot be read/);
    await expect(readCaptionFile(await write('bad.json', '{"a": 1'))).rejects.toThrow(/bad\.json: is not valid JSON/);
    await expect(readCaptionFile(await write('object.json', '{"a": 1}'))).rejects.toThrow(/object\.json: must hold a JSON array/);
    await expect(readCaptionFile(await write('mixed.json', '["a", 2]'))).rejects.toThrow(/mixed\.json: entry 1: expected a caption string/);
    await expect(readCaptionFile(await write('empty.txt', '\n\n'))).rejects.toThrow(/empty\.txt: holds no captions/);
    await expect(readCaptionFile(await write('punct.txt', 'fine\n?!\n'))).rejects.toThrow(/punct\.txt: caption 2: .*empty after normalisation/);
    await expect(readCaptionFile(await write('eval-bad.json', JSON.stringify([{ image: 'a.tif', caption: [] }])))).rejects.toThrow(/eval-bad\.json/);
  });
});
