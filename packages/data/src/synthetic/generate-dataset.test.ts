import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readEvalAnnotations } from '../annotations/eval-annotations';
import { readTrainAnnotations } from '../annotations/train-annotations';
import { verifyImages } from '../images/verify-images';
import { generateSyntheticDataset, readSyntheticManifest, syntheticDatasetFiles } from './generate-dataset';
import { SCENE_CLASSES } from './scene-classes';

const scratch = mkdtempSync(path.join(tmpdir(), 'harma-synthetic-'));
const options = { seed: 7, images: 40, size: 32, split: { val: 6, test: 5 }, workers: 0 } as const;

describe('generateSyntheticDataset', () => {
  const dir = path.join(scratch, 'a');
  beforeAll(async () => {
    await generateSyntheticDataset(dir, options);
  });

  it('writes the RSITMD layout, which the RSITMD readers load', async () => {
    const files = syntheticDatasetFiles(dir);
    const train = await readTrainAnnotations(files.train);
    const val = await readEvalAnnotations(files.val);
    const test = await readEvalAnnotations(files.test);
    expect(train.images).toHaveLength(29);
    expect(train.captions).toHaveLength(29 * 5);
    expect([val.images.length, val.captions.length, test.images.length, test.captions.length]).toEqual([6, 30, 5, 25]);
    expect(train.images.every((image) => /^train\/[a-z]+_\d+\.png$/.test(image))).toBe(true);
    expect(val.images.every((image) => image.startsWith('val/'))).toBe(true);
    expect(train.captions[0]).toMatchObject({ imageIndex: 0, imageId: 0 });
    expect(SCENE_CLASSES).toContain(train.captions[0]?.labelName);
    expect(await verifyImages(files.imageRoot, [...train.images, ...val.images, ...test.images], { decode: true })).toEqual([]);
    expect(readdirSync(path.join(files.imageRoot, 'train'))).toHaveLength(29);
    const manifest = await readSyntheticManifest(dir);
    expect(manifest).toMatchObject({ kind: 'harma-synthetic', seed: '7', size: 32, format: 'png', counts: { train: 29, val: 6, test: 5 } });
    expect(manifest.style.name).toBe('source');
  });

  it('gives the same files for the same options (rewriting its own folder)', async () => {
    const again = path.join(scratch, 'b');
    await generateSyntheticDataset(again, options);
    await generateSyntheticDataset(again, options);
    for (const split of ['train', 'val', 'test'] as const) {
      expect(readFileSync(syntheticDatasetFiles(again)[split], 'utf8')).toBe(readFileSync(syntheticDatasetFiles(dir)[split], 'utf8'));
      const folder = path.join(syntheticDatasetFiles(dir).imageRoot, split);
      for (const name of readdirSync(folder)) {
        expect(readFileSync(path.join(syntheticDatasetFiles(again).imageRoot, split, name)).equals(readFileSync(path.join(folder, name)))).toBe(true);
      }
    }
  });

  it('draws the target style and other formats on request', async () => {
    const target = path.join(scratch, 'target');
    const manifest = await generateSyntheticDataset(target, { ...options, style: 'target', format: 'tif', images: 12, split: { val: 1, test: 1 } });
    expect(manifest.style.name).toBe('target');
    const train = await readTrainAnnotations(syntheticDatasetFiles(target).train);
    expect(train.images[0]).toMatch(/\.tif$/);
    expect(await verifyImages(syntheticDatasetFiles(target).imageRoot, train.images, { decode: true })).toEqual([]);
  });

  it('refuses bad options and a folder it did not write', async () => {
    await expect(generateSyntheticDataset(path.join(scratch, 'x'), { images: 2 })).rejects.toThrow(/at least 3/);
    await expect(generateSyntheticDataset(path.join(scratch, 'x'), { images: 10, split: { val: 5, test: 5 } })).rejects.toThrow(/must leave training images/);
    await expect(generateSyntheticDataset(path.join(scratch, 'x'), { images: 10, classes: ['volcano' as never] })).rejects.toThrow(/classes must be among/);
    const foreign = path.join(scratch, 'foreign');
    await generateSyntheticDataset(foreign, { ...options, images: 5, split: { val: 1, test: 1 } });
    // Without our manifest, existing image folders are not ours to delete.
    await rm(syntheticDatasetFiles(foreign).manifest);
    await expect(generateSyntheticDataset(foreign, { ...options, images: 5, split: { val: 1, test: 1 } })).rejects.toThrow(/holds no synthetic data set/);
  });
});
