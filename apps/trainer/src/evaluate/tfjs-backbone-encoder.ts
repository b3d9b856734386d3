import * as tf from '@tensorflow/tfjs-core';
import type { Backbone } from '@harma/core';
import type { EmbeddingEncoder } from './encoder';

/** The backbone being trained, as an encoder: tidy batches in, host arrays out. */
export function backboneEncoder(backbone: Backbone): EmbeddingEncoder {
  const size = backbone.preprocess.size;
  return {
    embedDim: backbone.embedDim,
    encodeImages: (pixels, count) =>
      tf.tidy(() => backbone.encodeImage(tf.tensor4d(pixels, [count, 3, size, size]))).dataSync() as Float32Array,
    encodeTexts: (ids, count) =>
      tf.tidy(() => backbone.encodeText(tf.tensor2d(ids, [count, ids.length / count], 'int32'))).dataSync() as Float32Array,
  };
}
