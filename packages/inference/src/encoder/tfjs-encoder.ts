import * as tf from '@tensorflow/tfjs-core';
import type { Backbone } from '@harma/core';
import type { Encoder } from './encoder';
import { checkBatchSize, checkImages, checkTokenIds, encodeInBatches } from './encoder-input';

export interface TfjsEncoderOptions {
  /** Items per forward pass. Default: 32. */
  batchSize?: number;
  /** Dispose the backbone with the encoder. Default: false (the caller keeps it). */
  ownsBackbone?: boolean;
}

/**
 * An encoder running the training-time tfjs model (any backend, whatever is attached to it).
 * Token ids given as BigInt64Array are converted to int32.
 */
export function createTfjsEncoder(backbone: Backbone, options: TfjsEncoderOptions = {}): Encoder {
  const batchSize = checkBatchSize('createTfjsEncoder', options.batchSize ?? 32);
  const size = backbone.preprocess.size;
  const contextLength = backbone.contextLength;
  const run = async (forward: () => tf.Tensor): Promise<Float32Array> => {
    const embeddings = tf.tidy(forward);
    try {
      return (await embeddings.data()) as Float32Array;
    } finally {
      embeddings.dispose();
    }
  };
  return {
    engine: 'tfjs',
    embedDim: backbone.embedDim,
    imageSize: size,
    contextLength,
    async encodeImages(pixels, count) {
      checkImages('encodeImages', pixels, count, size);
      const perImage = 3 * size * size;
      return encodeInBatches(count, batchSize, backbone.embedDim, (start, n) =>
        run(() => backbone.encodeImage(tf.tensor4d(pixels.subarray(start * perImage, (start + n) * perImage), [n, 3, size, size]))),
      );
    },
    async encodeTexts(ids, count) {
      checkTokenIds('encodeTexts', ids, count, contextLength);
      return encodeInBatches(count, batchSize, backbone.embedDim, (start, n) => {
        const rows = ids.subarray(start * contextLength, (start + n) * contextLength);
        const int32 = rows instanceof Int32Array ? rows : Int32Array.from(rows, (id) => Number(id));
        return run(() => backbone.encodeText(tf.tensor2d(int32, [n, contextLength], 'int32')));
      });
    },
    async dispose() {
      if (options.ownsBackbone) backbone.dispose();
    },
  };
}
