import * as tf from '@tensorflow/tfjs-core';

/**
 * The rows of one batch held as consecutive chunks ([rows_i, ...] each, in row order): how
 * `ModifiedResNet` streams a batch too large to hold in one piece. Every layer but BatchNorm maps
 * the chunks one by one; BatchNorm (`BatchNorm2d.forwardChunks`) reads the statistics of all of
 * them. Functions taking chunks dispose them unless they say otherwise.
 */
export type RowChunks = tf.Tensor[];

/**
 * `x` [batch, ...] cut into as few chunks of at most `rows` rows as possible, of near-equal size
 * and never of one row when the batch has more (a clone of `x` when it fits in one); `x` stays
 * the caller's. One row is avoided because ONNX Runtime multiplies a single row by another kernel
 * than a block of rows, which rounds differently: chunks of two rows or more give exactly the
 * numbers of one pass.
 */
export function splitRows(x: tf.Tensor, rows: number): RowChunks {
  const batch = x.shape[0] as number;
  if (batch <= rows) return [tf.clone(x)];
  const count = Math.min(Math.ceil(batch / Math.max(1, rows)), Math.floor(batch / 2));
  const chunks: RowChunks = [];
  for (let i = 0, start = 0; i < count; i++) {
    const size = Math.floor(batch / count) + (i < batch % count ? 1 : 0);
    chunks.push(tf.slice(x, start, size));
    start += size;
  }
  return chunks;
}

/** The chunks joined back into one tensor [batch, ...]; disposes them. */
export function joinRows(chunks: RowChunks): tf.Tensor {
  if (chunks.length === 1) return chunks[0] as tf.Tensor;
  const joined = tf.concat(chunks, 0);
  tf.dispose(chunks);
  return joined;
}

/** `f` applied to each chunk (rows are independent); disposes each input chunk once it is used, unless `keep`. */
export function mapRows(chunks: RowChunks, f: (chunk: tf.Tensor) => tf.Tensor, keep = false): RowChunks {
  return chunks.map((chunk) => {
    const out = tf.tidy(() => f(chunk));
    if (!keep) chunk.dispose();
    return out;
  });
}
