import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom, useBackend } from '@harma/core';
import { PORTABLE_BACKENDS, expectAllClose } from '@harma/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { alignment, embeddingDiagnostics, formatDiagnostics, meanPairwiseCosine, modalityGap, uniformity } from './embedding-diagnostics';
import { drawRows } from '../test/random-gallery';

function unitRows(rng: SeededRandom, count: number, dim: number, shift = 0): Float32Array {
  const rows = drawRows(count, dim, () => rng.normal());
  for (let i = 0; i < count; i++) {
    rows[i * dim] = (rows[i * dim] as number) + shift;
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += (rows[i * dim + d] as number) ** 2;
    for (let d = 0; d < dim; d++) rows[i * dim + d] = (rows[i * dim + d] as number) / Math.sqrt(norm);
  }
  return rows;
}

const row = (x: Float32Array, dim: number, i: number): Float32Array => x.subarray(i * dim, (i + 1) * dim);
const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => Array.from(a).reduce((s, v, d) => s + v * (b[d] as number), 0);

function naiveUniformity(x: Float32Array, count: number, dim: number, t: number): number {
  let total = 0;
  for (let i = 0; i < count; i++) {
    for (let j = i + 1; j < count; j++) {
      let squared = 0;
      for (let d = 0; d < dim; d++) squared += ((x[i * dim + d] as number) - (x[j * dim + d] as number)) ** 2;
      total += Math.exp(-t * squared);
    }
  }
  return Math.log(total / ((count * (count - 1)) / 2));
}

function naiveMeanCosine(x: Float32Array, count: number, dim: number): number {
  let total = 0;
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < count; j++) {
      if (i === j) continue;
      total += dot(row(x, dim, i), row(x, dim, j)) / Math.sqrt(dot(row(x, dim, i), row(x, dim, i)) * dot(row(x, dim, j), row(x, dim, j)));
    }
  }
  return total / (count * (count - 1));
}

describe.each(PORTABLE_BACKENDS)('embedding diagnostics on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('equal hand-computed values of tiny galleries', () => {
    const square = tf.tensor2d([[1, 0], [0, 1], [-1, 0], [0, -1]]);
    // Pairs: 4 at distance² 2, 2 at distance² 4 → log((4e^−4 + 2e^−8) / 6).
    expect(uniformity(square)).toBeCloseTo(Math.log((4 * Math.exp(-4) + 2 * Math.exp(-8)) / 6), 6);
    // Cosines: 8 ordered pairs at 0, 4 at −1 → −4/12.
    expect(meanPairwiseCosine(square)).toBeCloseTo(-1 / 3, 6);
    const shifted = tf.tensor2d([[1, 1], [0, 1], [-1, 1], [0, 1]]);
    // Centroids (0, 0) and (0, 1).
    expect(modalityGap(square, shifted)).toBeCloseTo(1, 6);
    // ‖(0,−1)‖², ‖(0,0)‖², ‖(0,−1)‖², ‖(0,−2)‖² → (1 + 0 + 1 + 4) / 4.
    expect(alignment(square, shifted, [0, 1, 2, 3])).toBeCloseTo(1.5, 6);
    tf.dispose([square, shifted]);
  });

  it('match double-precision loops, block by block, with captions paired by txt2img', () => {
    const rng = new SeededRandom('diagnostics');
    const images = 21;
    const captions = 63;
    const dim = 8;
    const image = unitRows(rng, images, dim, 1.5);
    const text = unitRows(rng, captions, dim, -0.5);
    const txt2img = Array.from({ length: captions }, (_, j) => j % images);
    const gallery = { imageEmbeddings: tf.tensor2d(image, [images, dim]), textEmbeddings: tf.tensor2d(text, [captions, dim]) };
    let naiveAlignment = 0;
    for (let j = 0; j < captions; j++) {
      for (let d = 0; d < dim; d++) naiveAlignment += ((image[(txt2img[j] as number) * dim + d] as number) - (text[j * dim + d] as number)) ** 2;
    }
    naiveAlignment /= captions;
    const centroid = (x: Float32Array, count: number): number[] =>
      Array.from({ length: dim }, (_, d) => Array.from({ length: count }, (_, i) => x[i * dim + d] as number).reduce((a, b) => a + b, 0) / count);
    const imageCentroid = centroid(image, images);
    const textCentroid = centroid(text, captions);
    const gap = Math.sqrt(imageCentroid.reduce((s, v, d) => s + (v - (textCentroid[d] as number)) ** 2, 0));
    const expected = [
      naiveUniformity(image, images, dim, 2),
      naiveUniformity(text, captions, dim, 2),
      naiveAlignment,
      gap,
      naiveMeanCosine(image, images, dim),
      naiveMeanCosine(text, captions, dim),
    ];
    for (const blockSize of [4, 21, 2048]) {
      const d = embeddingDiagnostics(gallery, { txt2img, blockSize });
      expectAllClose(
        [d.uniformity.image, d.uniformity.text, d.alignment, d.modalityGap, d.meanPairwiseCosine.image, d.meanPairwiseCosine.text],
        expected,
        { atol: 2e-6, rtol: 1e-5 },
        `diagnostics, block ${blockSize}`,
      );
    }
    // The shifted galleries cluster: positive mean cosine, a clear gap.
    expect(expected[4]).toBeGreaterThan(0.3);
    expect(gap).toBeGreaterThan(0.5);
    const before = tf.memory().numTensors;
    embeddingDiagnostics(gallery, { txt2img, blockSize: 5 });
    expect(tf.memory().numTensors).toBe(before);
    expect(() => embeddingDiagnostics(gallery)).toThrow(/21 images and 63 captions: pass txt2img/);
    expect(() => embeddingDiagnostics(gallery, { txt2img: txt2img.map((i) => i + 1) })).toThrow(/txt2img\[20\] = 21 is not an image index/);
    expect(formatDiagnostics(embeddingDiagnostics(gallery, { txt2img })).split('\n').map((line) => line.split(/\s+/)[0])).toEqual([
      'uniformity.image',
      'uniformity.text',
      'alignment',
      'modalityGap',
      'meanPairwiseCosine.image',
      'meanPairwiseCosine.text',
    ]);
    tf.dispose(Object.values(gallery));
  });
});
