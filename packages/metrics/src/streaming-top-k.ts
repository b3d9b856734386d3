import * as tf from '@tensorflow/tfjs-core';
import { rowBlock, transposedRowBlock } from './block-scores';
import { hostValues } from './host-values';
import { checkBlockSize, DEFAULT_BLOCK_SIZE } from './streaming-ranks';

/** The k best gallery entries of each query, best first. */
export interface TopK {
  k: number;
  /** [queries, k] row-major gallery indices. */
  indices: Int32Array;
  /** [queries, k] row-major scores (dot products). */
  scores: Float32Array;
}

export interface TopKOptions {
  /** Side of the score blocks (at most blockSize² scores at once). Default: 1024. */
  blockSize?: number;
}

/**
 * The k highest-scoring gallery rows for every query row (scores = dot products), streamed over
 * score blocks: memory is the inputs, one block and the [queries, k] result. Equal scores keep the
 * lower gallery index first, the default tie rule of the retrieval metrics.
 *
 * @param queries [Q, D]
 * @param gallery [N, D]
 */
export function streamingTopK(queries: tf.Tensor, gallery: tf.Tensor, k: number, options: TopKOptions = {}): TopK {
  if (queries.rank !== 2 || gallery.rank !== 2 || queries.shape[1] !== gallery.shape[1]) {
    throw new Error(`streamingTopK: queries [${queries.shape}] and gallery [${gallery.shape}] must be [count, dim] with one dim`);
  }
  const count = queries.shape[0] as number;
  const size = gallery.shape[0] as number;
  if (!Number.isInteger(k) || k < 1 || k > size) throw new Error(`streamingTopK: k must be an integer in [1, ${size}], got ${k}`);
  const blockSize = checkBlockSize('streamingTopK', options.blockSize ?? DEFAULT_BLOCK_SIZE);
  const indices = new Int32Array(count * k).fill(-1);
  const scores = new Float32Array(count * k).fill(Number.NEGATIVE_INFINITY);
  const filled = new Int32Array(count);
  const queryBlocks: tf.Tensor[] = [];
  try {
    for (let rowStart = 0; rowStart < count; rowStart += blockSize) queryBlocks.push(rowBlock(queries, rowStart, Math.min(blockSize, count - rowStart)));
    // Gallery blocks outside, in index order: each query still meets the gallery in increasing index.
    for (let colStart = 0; colStart < size; colStart += blockSize) {
      const cols = Math.min(blockSize, size - colStart);
      const right = transposedRowBlock(gallery, colStart, cols);
      try {
        queryBlocks.forEach((left, blockIndex) => {
          const rowStart = blockIndex * blockSize;
          const values = hostValues(() => tf.matMul(left, right));
          mergeBlock(values, left.shape[0] as number, cols, rowStart, colStart);
        });
      } finally {
        right.dispose();
      }
    }
  } finally {
    tf.dispose(queryBlocks);
  }

  function mergeBlock(values: Float32Array, rows: number, cols: number, rowStart: number, colStart: number): void {
    for (let r = 0; r < rows; r++) {
      const base = (rowStart + r) * k;
      let have = filled[rowStart + r] as number;
      for (let c = 0; c < cols; c++) {
        const v = values[r * cols + c] as number;
        if (v !== v) throw new Error(`streamingTopK: score of query ${rowStart + r} with gallery row ${colStart + c} is NaN`);
        // Later indices only enter strictly above the current k-th: ties keep the lower index.
        if (have === k && !(v > (scores[base + k - 1] as number))) continue;
        let position = have === k ? k - 1 : have;
        while (position > 0 && v > (scores[base + position - 1] as number)) {
          scores[base + position] = scores[base + position - 1] as number;
          indices[base + position] = indices[base + position - 1] as number;
          position -= 1;
        }
        scores[base + position] = v;
        indices[base + position] = colStart + c;
        if (have < k) have += 1;
      }
      filled[rowStart + r] = have;
    }
  }
  return { k, indices, scores };
}
