import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvalAnnotations, readTrainAnnotations } from '@harma/data';
import { splitAnnotationsCommand } from './split-annotations';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'harma-split-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const image = (n: number, split: string) => ({ filename: `scene_${n}.tif`, imgid: n, split, sentences: [{ raw: `scene number ${n}.` }, { raw: `another view ${n}.` }] });

describe('harma split-annotations', () => {
  it('writes the three files a run config names, readable by the trainer, and refuses to overwrite them', async () => {
    const file = path.join(dir, 'dataset_RSICD.json');
    await fs.writeFile(file, JSON.stringify({ images: [1, 2, 3, 4, 5, 6].map((n) => image(n, n <= 4 ? 'train' : 'test')) }));
    const out = path.join(dir, 'annotations');
    const report = await splitAnnotationsCommand(file, { out, valImages: 1, seed: '1' });
    expect(report).toBe([`${out}/rsicd_train.json: 6 captions of 3 images`, `${out}/rsicd_val.json: 1 image`, `${out}/rsicd_test.json: 2 images`].join('\n'));
    expect((await readTrainAnnotations(path.join(out, 'rsicd_train.json'))).images).toHaveLength(3);
    expect((await readEvalAnnotations(path.join(out, 'rsicd_val.json'))).captions).toHaveLength(2);
    await expect(splitAnnotationsCommand(file, { out, valImages: 1 })).rejects.toThrow(/rsicd_train\.json, .*rsicd_val\.json, .*rsicd_test\.json already exist; remove them or choose another --out/);
  });
});
