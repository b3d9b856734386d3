import * as tf from '@tensorflow/tfjs-core';
import { customGradient } from './custom-gradient';

import { Module } from '../module/module';
import { Parameter } from '../module/parameter';
import { normalTensor } from '../random/init';
import type { SeededRandom } from '../random/seeded-random';

export interface EmbeddingOptions {
  /** Draw N(0, std²) initial rows from this stream. Default: zeros (to be loaded). */
  rng?: SeededRandom;
  /** Standard deviation of the random initialisation. Default: 1 (PyTorch); CLIP uses 0.02. */
  std?: number;
}

/** A lookup table `weight` [count, width] indexed by integer ids. */
export class Embedding extends Module {
  readonly weight: Parameter;

  constructor(readonly count: number, readonly width: number, options: EmbeddingOptions = {}) {
    super();
    const initial = options.rng ? normalTensor([count, width], options.rng, options.std ?? 1) : tf.zeros([count, width]);
    this.weight = this.register('weight', new Parameter(initial));
  }

  /** `ids` int32 [...] → [..., width]. */
  forward(ids: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const flat = tf.reshape(ids, [-1]);
      const rows = embeddingLookup(this.weight.value, flat);
      return tf.reshape(rows, [...ids.shape, this.width]);
    });
  }
}

/**
 * Rows of `table` [count, width] at `ids` int32 [n] → [n, width]. The gradient is a scatter-add
 * of the incoming rows; it uses ScatterNd (which sums duplicate ids) instead of tfjs's default
 * UnsortedSegmentSum, a kernel the wasm backend does not have.
 */
export const embeddingLookup = customGradient<[tf.Tensor, tf.Tensor]>((table, ids, save) => {
  save([ids]);
  return {
    value: tf.gather(table, ids),
    gradFunc: (dy, saved) => {
      const [savedIds] = saved as [tf.Tensor];
      const indices = tf.reshape(savedIds, [-1, 1]);
      return [tf.scatterND(indices, dy, table.shape), tf.zerosLike(savedIds)];
    },
  };
});
