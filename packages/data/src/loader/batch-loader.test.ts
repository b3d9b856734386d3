import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TextTokenizer, TokenizerDescription } from '@harma/core';
import { readEvalAnnotations } from '../annotations/eval-annotations';
import { readTrainAnnotations, type TrainAnnotations } from '../annotations/train-annotations';
import { decodeImage } from '../images/decode-image';
import { ImageDecodeError } from '../images/image-decode-error';
import { generateSyntheticDataset, syntheticDatasetFiles } from '../synthetic/generate-dataset';
import { BatchLoader, type Batch, type LoaderSample } from './batch-loader';
import { evalImageSamples, trainSamples } from './samples';

/** Word ids by first appearance, context 8: enough to check that captions reach the batch. */
class WordTokenizer implements TextTokenizer {
  readonly kind = 'test-words';
  readonly contextLength = 8;
  readonly vocabularySize = 10_000;
  readonly words = new Map<string, number>();
  async save(): Promise<TokenizerDescription> {
    throw new Error('the loader never saves its tokenizer');
  }

  encode(texts: readonly string[]): Int32Array {
    const out = new Int32Array(texts.length * this.contextLength);
    texts.forEach((text, row) => {
      text.split(' ').slice(0, this.contextLength).forEach((word, k) => {
        if (!this.words.has(word)) this.words.set(word, this.words.size + 1);
        out[row * this.contextLength + k] = this.words.get(word) as number;
      });
    });
    return out;
  }
}

// The backbone's normalisation, as a caller takes it from `backbone.preprocess` (other values than CLIP's).
const MEAN: [number, number, number] = [0.45, 0.4, 0.35];
const STD: [number, number, number] = [0.25, 0.3, 0.2];
const normalise = { mean: MEAN, std: STD };

const scratch = mkdtempSync(path.join(tmpdir(), 'harma-loader-'));
const dir = path.join(scratch, 'set');
const workerScript = path.resolve('dist/workers/image-worker.js');
let train: TrainAnnotations;

async function collect(loader: BatchLoader, epoch: number): Promise<Batch[]> {
  const batches: Batch[] = [];
  for await (const batch of loader.epoch(epoch)) batches.push(batch);
  return batches;
}

beforeAll(async () => {
  await generateSyntheticDataset(dir, { seed: 3, images: 16, size: 40, split: { val: 2, test: 2 }, workers: 0 });
  train = await readTrainAnnotations(syntheticDatasetFiles(dir).train);
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('BatchLoader', () => {
  const base = () => ({ samples: trainSamples(train), imageRoot: syntheticDatasetFiles(dir).imageRoot, tokenizer: new WordTokenizer(), batchSize: 8, transform: { size: 24, ...normalise }, seed: 11, workers: 0 });

  it('yields (pixels [B,3,S,S], token ids [B,L], image ids [B]) in a shuffled, reproducible order', async () => {
    const loader = new BatchLoader(base());
    expect(loader.batchesPerEpoch).toBe(Math.floor(60 / 8));
    const batches = await collect(loader, 0);
    expect(batches).toHaveLength(7);
    for (const batch of batches) {
      expect(batch.size).toBe(8);
      expect(batch.pixels).toHaveLength(8 * 3 * 24 * 24);
      expect(batch.tokens).toHaveLength(8 * 8);
      expect(Array.from(batch.imageIds)).toEqual(Array.from(batch.indices, (i) => train.captions[i]?.imageIndex));
      expect(batch.pixels.every(Number.isFinite)).toBe(true);
    }
    const served = batches.flatMap((b) => Array.from(b.indices));
    expect(served).toEqual(loader.order(0).slice(0, 56));
    expect(new Set(served).size).toBe(56);
    expect(served).not.toEqual([...served].sort((a, b) => a - b));
    expect(loader.order(1)).not.toEqual(loader.order(0));
    // The same seed serves the same batches, augmentation included.
    const again = await collect(new BatchLoader(base()), 0);
    expect(again.map((b) => Array.from(b.indices))).toEqual(batches.map((b) => Array.from(b.indices)));
    again.forEach((b, k) => expect(Buffer.from(b.pixels.buffer).equals(Buffer.from((batches[k] as Batch).pixels.buffer))).toBe(true));
  });

  it('gives the same pixels from the worker pool as in this thread', async () => {
    if (!existsSync(workerScript)) throw new Error(`${workerScript} is missing: build @harma/data first (npx tsup)`);
    const inThread = await collect(new BatchLoader({ ...base(), prefetch: 1 }), 2);
    const pooled = new BatchLoader({ ...base(), workers: 2, workerScript, prefetch: 3 });
    try {
      const fromWorkers = await collect(pooled, 2);
      expect(fromWorkers.map((b) => Array.from(b.indices))).toEqual(inThread.map((b) => Array.from(b.indices)));
      fromWorkers.forEach((b, k) => expect(Buffer.from(b.pixels.buffer).equals(Buffer.from((inThread[k] as Batch).pixels.buffer))).toBe(true));
    } finally {
      await pooled.close();
    }
  });

  it('serves evaluation images in file order with the test transform', async () => {
    const val = await readEvalAnnotations(syntheticDatasetFiles(dir).val);
    const loader = new BatchLoader({ samples: evalImageSamples(val), imageRoot: syntheticDatasetFiles(dir).imageRoot, batchSize: 4, transform: { mode: 'test', size: 40, ...normalise }, workers: 0 });
    const [batch] = await collect(loader, 0);
    expect(batch?.size).toBe(2);
    expect(batch?.tokens).toBeUndefined();
    expect(Array.from(batch?.imageIds ?? [])).toEqual([0, 1]);
    // At the file's own size the test transform is normalisation only: check it in double precision.
    const decoded = await decodeImage(path.join(syntheticDatasetFiles(dir).imageRoot, val.images[1] as string));
    const plane = 40 * 40;
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < plane; p += 37) {
        const expected = ((decoded.data[p * 3 + c] as number) / 255 - (MEAN[c] as number)) / (STD[c] as number);
        expect(Math.abs((batch?.pixels[3 * plane + c * plane + p] as number) - expected)).toBeLessThan(1e-5);
      }
    }
  });

  it('keeps decoded images in memory with cache: true', async () => {
    const copy = path.join(scratch, 'copy');
    const image = train.images[0] as string;
    const file = path.join(copy, image);
    mkdirSync(path.dirname(file), { recursive: true });
    copyFileSync(path.join(syntheticDatasetFiles(dir).imageRoot, image), file);
    const samples: LoaderSample[] = [{ image, imageId: 0 }];
    const options = { samples, imageRoot: copy, batchSize: 1, transform: { mode: 'test' as const, size: 16, ...normalise }, workers: 0 };
    const cached = new BatchLoader({ ...options, cache: true });
    const plain = new BatchLoader(options);
    await collect(cached, 0);
    await collect(plain, 0);
    rmSync(file);
    expect((await collect(cached, 1))[0]?.size).toBe(1);
    await expect(collect(plain, 1)).rejects.toThrow(ImageDecodeError);
  });

  it('fails on a missing or corrupt image naming the file, or skips and counts it', async () => {
    const corrupt = path.join(scratch, 'corrupt.png');
    writeFileSync(corrupt, Buffer.from('not a png at all'));
    const samples: LoaderSample[] = [
      { image: path.join(syntheticDatasetFiles(dir).imageRoot, train.images[0] as string), imageId: 0 },
      { image: path.join(scratch, 'absent.tif'), imageId: 1 },
      { image: corrupt, imageId: 2 },
    ];
    const options = { samples, batchSize: 3, transform: { mode: 'test' as const, size: 16, ...normalise }, workers: 0 };
    await expect(collect(new BatchLoader(options), 0)).rejects.toThrow(/absent\.tif: no such file/);
    await expect(collect(new BatchLoader({ ...options, samples: [samples[2] as LoaderSample], batchSize: 1 }), 0)).rejects.toThrow(/corrupt\.png: not a readable image/);
    const skipping = new BatchLoader({ ...options, onMissingImage: 'skip' });
    const [batch] = await collect(skipping, 0);
    expect(batch?.size).toBe(1);
    expect(Array.from(batch?.imageIds ?? [])).toEqual([0]);
    expect(skipping.skipped.map((s) => path.basename(s.path)).sort()).toEqual(['absent.tif', 'corrupt.png']);
  });

  it('refuses inconsistent options', () => {
    expect(() => new BatchLoader({ ...base(), tokenizer: undefined })).toThrow(/tokenizer is needed/);
    expect(() => new BatchLoader({ ...base(), batchSize: 0 })).toThrow(/batchSize/);
    expect(() => new BatchLoader({ ...base(), batchSize: 100 })).toThrow(/make no full batch of 100 .*: use a batchSize of at most \d+, or dropLast: false/);
    // Running from sources there is no built worker entry: asking for workers says how to get one.
    expect(() => new BatchLoader({ ...base(), workers: 2, workerScript: path.join(scratch, 'none.js') })).not.toThrow();
    expect(() => new BatchLoader({ ...base(), workers: 2 })).toThrow(/workers need the built worker/);
  });
});
