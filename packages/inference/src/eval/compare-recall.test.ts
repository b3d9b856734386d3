import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '@harma/core';
import type { Encoder } from '../encoder/encoder';
import { compareRecall, type RetrievalSplit } from './compare-recall';
import { embeddingAgreement } from './embedding-agreement';

/** An encoder returning fixed unit vectors: image i → e_(i mod 2) rotated by its own angle. */
function fixedEncoder(images: number[][], texts: number[][]): Encoder {
  return {
    engine: 'tfjs',
    embedDim: 2,
    imageSize: 1,
    contextLength: 1,
    encodeImages: async (_pixels, count) => Float32Array.from(images.slice(0, count).flat()),
    encodeTexts: async (_ids, count) => Float32Array.from(texts.slice(0, count).flat()),
    dispose: async () => undefined,
  };
}

// Two images, two captions each: caption 2i and 2i+1 describe image i.
const split: RetrievalSplit = {
  images: new Float32Array(2 * 3),
  imageCount: 2,
  captions: new Int32Array(4),
  captionCount: 4,
  img2txt: [[0, 1], [2, 3]],
  txt2img: [0, 0, 1, 1],
};

describe('compareRecall', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('reports no change and cosine 1 for identical encoders', async () => {
    const embeddings = fixedEncoder([[1, 0], [0, 1]], [[1, 0], [0.9, 0.1], [0, 1], [0.2, 0.8]]);
    const result = await compareRecall(embeddings, embeddings, split);
    expect(result.reference.txt_r1).toBe(100);
    expect(Object.values(result.change).every((delta) => delta === 0)).toBe(true);
    expect(result.image.minCosine).toBeCloseTo(1, 12);
  });

  it('measures the recall a worse encoder loses', async () => {
    const good = fixedEncoder([[1, 0], [0, 1]], [[1, 0], [1, 0], [0, 1], [0, 1]]);
    // Caption 1 now leans to image 1: its caption→image R@1 fails (3 of 4 = 75).
    const worse = fixedEncoder([[1, 0], [0, 1]], [[1, 0], [0.1, 0.9], [0, 1], [0, 1]]);
    const result = await compareRecall(good, worse, split);
    expect(result.reference.img_r1).toBe(100);
    expect(result.candidate.img_r1).toBe(75);
    expect(result.change.img_r1).toBe(-25);
    // Image→caption R@1 still finds a right caption for both images.
    expect(result.change.txt_r1).toBe(0);
    expect(result.text.minCosine).toBeCloseTo(0.1 / Math.hypot(0.1, 0.9), 6);
  });
});

describe('embeddingAgreement', () => {
  it('computes max |a − b| and row cosines', () => {
    const agreement = embeddingAgreement(Float32Array.from([1, 0, 0, 1]), Float32Array.from([1, 0, 1, 1]), 2);
    expect(agreement.maxAbsDifference).toBe(1);
    expect(agreement.minCosine).toBeCloseTo(Math.SQRT1_2, 12);
    expect(agreement.meanCosine).toBeCloseTo((1 + Math.SQRT1_2) / 2, 12);
    expect(() => embeddingAgreement(new Float32Array(4), new Float32Array(6), 2)).toThrow(/not the same/);
  });
});
