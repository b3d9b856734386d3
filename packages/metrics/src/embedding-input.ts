import * as tf from '@tensorflow/tfjs-core';
import { hostScalar } from './host-values';

/** Paired galleries of embeddings; scores are their dot products (cosine for L2-normalised rows). */
export interface EmbeddingGallery {
  /** [images, D] */
  imageEmbeddings: tf.Tensor;
  /** [captions, D] */
  textEmbeddings: tf.Tensor;
}

/** Check shapes, dtype and finiteness of both galleries; returns [images, captions]. */
export function checkEmbeddingGallery(source: string, gallery: EmbeddingGallery): [number, number] {
  const { imageEmbeddings: image, textEmbeddings: text } = gallery;
  for (const [name, tensor] of [['imageEmbeddings', image], ['textEmbeddings', text]] as const) {
    if (!(tensor instanceof tf.Tensor)) throw new Error(`${source}: ${name} must be a tf.Tensor`);
    if (tensor.rank !== 2) throw new Error(`${source}: ${name} must be [count, dim], got shape [${tensor.shape}]`);
    if (tensor.dtype !== 'float32') throw new Error(`${source}: ${name} must be float32, got ${tensor.dtype}`);
    if ((tensor.shape[0] as number) < 1) throw new Error(`${source}: ${name} is empty`);
    // One reduction instead of reading the gallery back: NaN or ±Infinity anywhere makes the sum non-finite.
    const total = hostScalar(() => tf.sum(tf.abs(tensor)));
    if (!Number.isFinite(total)) throw new Error(`${source}: ${name} holds NaN or infinite values`);
  }
  if (image.shape[1] !== text.shape[1]) {
    throw new Error(`${source}: imageEmbeddings [${image.shape}] and textEmbeddings [${text.shape}] differ in dimension`);
  }
  return [image.shape[0] as number, text.shape[0] as number];
}
