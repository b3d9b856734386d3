import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTrainAnnotations, type TrainAnnotations } from '../annotations/train-annotations';
import { generateSyntheticDataset, syntheticDatasetFiles } from '../synthetic/generate-dataset';
import { MissingImagesError, verifyImages } from './verify-images';

const scratch = mkdtempSync(path.join(tmpdir(), 'harma-verify-'));
const dir = path.join(scratch, 'set');
const workerScript = path.resolve('dist/workers/image-worker.js');
let root: string;
let train: TrainAnnotations;
let images: string[];

beforeAll(async () => {
  await generateSyntheticDataset(dir, { seed: 4, images: 12, size: 48, split: { val: 2, test: 2 }, workers: 0 });
  root = syntheticDatasetFiles(dir).imageRoot;
  train = await readTrainAnnotations(syntheticDatasetFiles(dir).train);
  // A truncated file: the header is intact, so only a full decode finds it (what used to stop training after some steps).
  const whole = readFileSync(path.join(root, train.images[1] as string));
  writeFileSync(path.join(root, 'train', 'truncated.png'), whole.subarray(0, Math.floor(whole.length / 2)));
  writeFileSync(path.join(root, 'train', 'broken.png'), Buffer.from([1, 2, 3]));
  images = [train.images[0] as string, 'train/gone.png', 'train/broken.png', 'train/truncated.png', train.images[0] as string];
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('verifyImages', () => {
  it('lists missing and (with decode) corrupt and truncated images under skip, and throws under fail', async () => {
    const quick = await verifyImages(root, images, { policy: 'skip', workers: 0 });
    expect(quick.map((p) => [p.image, p.reason])).toEqual([['train/gone.png', 'no such file']]);
    const thorough = await verifyImages(root, images, { policy: 'skip', decode: true, workers: 0 });
    expect(thorough.map((p) => p.image)).toEqual(['train/broken.png', 'train/gone.png', 'train/truncated.png']);
    expect(thorough.find((p) => p.image === 'train/truncated.png')?.reason).toMatch(/corrupt or truncated/);
    await expect(verifyImages(root, images, { workers: 0 })).rejects.toThrow(MissingImagesError);
    await expect(verifyImages(root, images, { workers: 0 })).rejects.toThrow(/1 image\(s\) missing or unreadable:\n {2}\/.*gone\.png: no such file/);
  });

  it('reports every bad file at once under fail', async () => {
    const error = await verifyImages(root, images, { decode: true, workers: 0 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MissingImagesError);
    expect((error as MissingImagesError).problems).toHaveLength(3);
    expect((error as Error).message).toMatch(/^3 image\(s\) missing or unreadable:\n.*broken\.png: .*\n.*gone\.png: no such file\n.*truncated\.png: corrupt or truncated/);
  });

  it('decodes in the worker pool with the same verdicts, counting progress over distinct images', async () => {
    if (!existsSync(workerScript)) throw new Error(`${workerScript} is missing: build @harma/data first (npx tsup)`);
    const all = [...train.images, ...images];
    const progress: number[] = [];
    const pooled = await verifyImages(root, all, { policy: 'skip', decode: true, workers: 2, workerScript, onProgress: (checked, total) => progress.push(checked, total) });
    const inThread = await verifyImages(root, all, { policy: 'skip', decode: true, workers: 0 });
    expect(pooled).toEqual(inThread);
    const distinct = new Set(all).size;
    expect(progress.filter((_, i) => i % 2 === 1).every((total) => total === distinct)).toBe(true);
    expect(progress.filter((_, i) => i % 2 === 0)).toEqual(Array.from({ length: distinct }, (_, i) => i + 1));
  });

  it('refuses workers without a built worker entry', async () => {
    await expect(verifyImages(root, images, { workers: 2, workerScript: undefined })).rejects.toThrow(/workers need the built worker/);
  });
});
