import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom, useBackend } from '@harma/core';
import { PORTABLE_BACKENDS } from '@harma/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { retrievalMetrics, retrievalRanks } from './retrieval-metrics';
import { doubleScores, drawRows, galleryTruth, type TestGallery } from '../test/random-gallery';

function tensors(gallery: TestGallery): { imageEmbeddings: tf.Tensor; textEmbeddings: tf.Tensor } {
  return {
    imageEmbeddings: tf.tensor2d(gallery.image, [gallery.images, gallery.dim]),
    textEmbeddings: tf.tensor2d(gallery.text, [gallery.captions, gallery.dim]),
  };
}

describe.each(PORTABLE_BACKENDS)('streaming ranks from embeddings on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('equal the full double-precision matrix for several block sizes (continuous scores)', () => {
    const rng = new SeededRandom('streaming-continuous');
    const images = 37;
    const perImage = 5;
    const gallery: TestGallery = {
      images,
      captions: images * perImage,
      dim: 16,
      image: drawRows(images, 16, () => rng.normal()),
      text: drawRows(images * perImage, 16, () => rng.normal()),
      // Captions in a shuffled order: positives spread over every block.
      ...galleryTruth(images, perImage, (items) => rng.shuffle(items)),
    };
    const full = retrievalRanks({ scores: doubleScores(gallery), images, captions: gallery.captions }, gallery);
    // Not trivially perfect: some ranks are far from 0.
    expect(Math.max(...full.t2i)).toBeGreaterThan(10);
    const input = tensors(gallery);
    for (const blockSize of [1, 3, 16, 37, 64, 4096]) {
      const streamed = retrievalRanks(input, { ...gallery, blockSize });
      expect(Array.from(streamed.i2t), `i2t, block ${blockSize}`).toEqual(Array.from(full.i2t));
      expect(Array.from(streamed.t2i), `t2i, block ${blockSize}`).toEqual(Array.from(full.t2i));
    }
    tf.dispose(Object.values(input));
  });

  it('equal the full matrix with many exact ties, under both index rules', () => {
    // Entries in steps of 1/2 and D = 3: every product and sum is exact in float32, whatever the order.
    const rng = new SeededRandom('streaming-ties');
    const images = 23;
    const perImage = 4;
    const step = (): number => (rng.int(5) - 2) / 2;
    const gallery: TestGallery = {
      images,
      captions: images * perImage,
      dim: 3,
      image: drawRows(images, 3, step),
      text: drawRows(images * perImage, 3, step),
      ...galleryTruth(images, perImage),
    };
    const scores = doubleScores(gallery);
    const input = tensors(gallery);
    for (const tieRule of ['lower-index-first', 'higher-index-first'] as const) {
      const full = retrievalRanks({ scores, images, captions: gallery.captions }, { ...gallery, tieRule });
      for (const blockSize of [1, 5, 8, 23, 1000]) {
        const streamed = retrievalRanks(input, { ...gallery, tieRule, blockSize });
        expect(Array.from(streamed.i2t), `${tieRule} i2t, block ${blockSize}`).toEqual(Array.from(full.i2t));
        expect(Array.from(streamed.t2i), `${tieRule} t2i, block ${blockSize}`).toEqual(Array.from(full.t2i));
      }
    }
    // The rules differ on this gallery, so the comparison above tested both.
    const lower = retrievalMetrics({ scores, images, captions: gallery.captions }, { ...gallery, tieRule: 'lower-index-first' });
    const higher = retrievalMetrics({ scores, images, captions: gallery.captions }, { ...gallery, tieRule: 'higher-index-first' });
    expect(lower).not.toEqual(higher);
    tf.dispose(Object.values(input));
  });

  it('2×2 from embeddings, with the figures of the paper', () => {
    const imageEmbeddings = tf.tensor2d([[1, 0], [0, 1]]);
    const textEmbeddings = tf.tensor2d([[0.8, 0.6], [0.6, 0.8]]);
    // Scores [[0.8, 0.6], [0.6, 0.8]]: everything at rank 0.
    expect(retrievalMetrics({ imageEmbeddings, textEmbeddings }, { img2txt: [[0], [1]], txt2img: [0, 1] })).toEqual({
      txt_r1: 100, txt_r5: 100, txt_r10: 100, img_r1: 100, img_r5: 100, img_r10: 100, r_mean: 100,
    });
    // Captions swapped in the ground truth: every rank is 1.
    const swapped = retrievalRanks({ imageEmbeddings, textEmbeddings }, { img2txt: [[1], [0]], txt2img: [1, 0], blockSize: 1 });
    expect(Array.from(swapped.i2t)).toEqual([1, 1]);
    expect(Array.from(swapped.t2i)).toEqual([1, 1]);
    tf.dispose([imageEmbeddings, textEmbeddings]);
  });

  it('reports progress per block, keeps the tensor count flat and refuses what it cannot do', () => {
    const rng = new SeededRandom('streaming-progress');
    const imageEmbeddings = tf.tensor2d(drawRows(10, 4, () => rng.normal()), [10, 4]);
    const textEmbeddings = tf.tensor2d(drawRows(20, 4, () => rng.normal()), [20, 4]);
    const truth = galleryTruth(10, 2);
    const progress: Array<[number, number]> = [];
    retrievalRanks({ imageEmbeddings, textEmbeddings }, { ...truth, blockSize: 4, onProgress: (done, total) => progress.push([done, total]) });
    const before = tf.memory().numTensors;
    retrievalRanks({ imageEmbeddings, textEmbeddings }, { ...truth, blockSize: 4 });
    expect(tf.memory().numTensors).toBe(before);
    // 3 × 5 blocks counted, plus the blocks holding positives (captions 2i, 2i+1 of image i): (0,0),(0,1),(1,2),(1,3),(2,4).
    expect(progress.length).toBe(15 + 5);
    expect(progress.at(-1)).toEqual([20, 20]);
    expect(() => retrievalRanks({ imageEmbeddings, textEmbeddings }, { ...truth, tieRule: 'numpy' })).toThrow(/tieRule 'numpy' sorts whole rows and needs the score matrix/);
    expect(() => retrievalRanks({ imageEmbeddings, textEmbeddings }, { ...truth, blockSize: 0 })).toThrow(/blockSize must be a positive integer/);
    expect(() => retrievalRanks({ imageEmbeddings, textEmbeddings: tf.zeros([20, 5]) }, truth)).toThrow(/differ in dimension/);
    expect(() => retrievalRanks({ imageEmbeddings, textEmbeddings: tf.fill([20, 4], Number.NaN) }, truth)).toThrow(/textEmbeddings holds NaN or infinite values/);
    expect(() => retrievalRanks({ imageEmbeddings, textEmbeddings: tf.zeros([19, 4]) }, truth)).toThrow(/txt2img has 20 entries for 19 captions/);
    tf.dispose([imageEmbeddings, textEmbeddings]);
  });
});
