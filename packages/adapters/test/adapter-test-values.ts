import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom, normalTensor } from '@harma/core';
import type { AdapterAttachment } from '../src/attachment';
import { toyBatch, type ToyDualEncoder } from './toy-dual-encoder';

/** Random values in every parameter of an attachment (up-projections included), so that a load that misses anything shows. */
export function randomizeAttachment(attachment: AdapterAttachment, seed: number): void {
  const rng = new SeededRandom(seed);
  for (const [, parameter] of attachment.namedParameters()) {
    const value = tf.tidy(() => tf.abs(normalTensor(parameter.shape, rng, 0.3)));
    parameter.assign(value);
    value.dispose();
  }
}

/** The toy's image and text features of a fixed batch of 3, as host arrays. */
export function toyFeatures(backbone: ToyDualEncoder): Float32Array[] {
  const batch = toyBatch(3);
  const out = [backbone.encodeImage(batch.pixels), backbone.encodeText(batch.ids)].map((t) => {
    const data = t.dataSync() as Float32Array;
    t.dispose();
    return data;
  });
  tf.dispose([batch.pixels, batch.ids]);
  return out;
}
