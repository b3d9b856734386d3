import * as tf from '@tensorflow/tfjs-core';

/** Image ids of a batch: one id per row, as a typed array or an int tensor [B] (or [B, 1]). */
export type ImageIds = Int32Array | tf.Tensor;

/**
 * Check that `image` and `text` are a batch of paired embeddings [B, D] with the same shape, and
 * return B. The error names the loss and the argument at fault.
 */
export function checkEmbeddingPair(loss: string, image: tf.Tensor, text: tf.Tensor): number {
  checkEmbeddings(loss, 'image', image);
  checkEmbeddings(loss, 'text', text);
  if (image.shape[0] !== text.shape[0] || image.shape[1] !== text.shape[1]) {
    throw new Error(`${loss}: image [${image.shape}] and text [${text.shape}] embeddings must have the same shape [batch, dim]`);
  }
  return image.shape[0] as number;
}

/** Check one batch of embeddings [B, D] (float, at least one row) and return B. */
export function checkEmbeddings(loss: string, name: string, embeddings: tf.Tensor): number {
  if (embeddings.rank !== 2) throw new Error(`${loss}: ${name} embeddings must be [batch, dim], got shape [${embeddings.shape}]`);
  if (embeddings.dtype !== 'float32') throw new Error(`${loss}: ${name} embeddings must be float32, got ${embeddings.dtype}`);
  const batch = embeddings.shape[0] as number;
  if (batch < 1 || (embeddings.shape[1] as number) < 1) throw new Error(`${loss}: ${name} embeddings are empty ([${embeddings.shape}])`);
  return batch;
}

/** The ids as a typed array of length `batch`; a tensor is read back once (ids are tiny). */
export function imageIdArray(loss: string, ids: ImageIds, batch: number): Int32Array {
  let values: Int32Array;
  if (ids instanceof tf.Tensor) {
    if (ids.size !== batch || (ids.rank !== 1 && !(ids.rank === 2 && ids.shape[1] === 1))) {
      throw new Error(`${loss}: imageIds must be [${batch}] (or [${batch}, 1]), got shape [${ids.shape}]`);
    }
    const raw = ids.dataSync();
    values = Int32Array.from(raw, (v) => {
      if (!Number.isInteger(v)) throw new Error(`${loss}: imageIds must be integers, got ${v}`);
      return v;
    });
  } else {
    if (ids.length !== batch) throw new Error(`${loss}: imageIds has ${ids.length} entries for a batch of ${batch}`);
    values = ids;
  }
  return values;
}

/** 1 where rows i and j show the same image (diagonal included), else 0: [B, B] float32 values. */
export function sameImageMatrix(ids: Int32Array): Float32Array {
  const batch = ids.length;
  const same = new Float32Array(batch * batch);
  for (let i = 0; i < batch; i++) {
    for (let j = 0; j < batch; j++) same[i * batch + j] = ids[i] === ids[j] ? 1 : 0;
  }
  return same;
}

/** The identity pattern [B, B]: each row's own pair only. */
export function identityMatrix(batch: number): Float32Array {
  const eye = new Float32Array(batch * batch);
  for (let i = 0; i < batch; i++) eye[i * batch + i] = 1;
  return eye;
}

/**
 * A temperature as a scalar tensor []: a number becomes a constant, a tensor with one element (a
 * Parameter's value, shape [] or [1]) is reshaped so gradients flow back to it.
 */
export function temperatureScalar(loss: string, temperature: tf.Tensor | number): tf.Tensor {
  if (typeof temperature === 'number') {
    if (!(temperature > 0) || !Number.isFinite(temperature)) throw new Error(`${loss}: temperature must be a positive finite number, got ${temperature}`);
    return tf.scalar(temperature);
  }
  if (temperature.size !== 1) throw new Error(`${loss}: temperature must hold one value, got shape [${temperature.shape}]`);
  if (temperature.dtype !== 'float32') throw new Error(`${loss}: temperature must be float32, got ${temperature.dtype}`);
  return tf.reshape(temperature, []);
}
