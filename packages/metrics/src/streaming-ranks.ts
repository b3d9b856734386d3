import * as tf from '@tensorflow/tfjs-core';
import { rowBlock as gatherRows, transposedRowBlock } from './block-scores';
import type { EmbeddingGallery } from './embedding-input';
import type { RetrievalGroundTruth } from './ground-truth';
import { hostValues } from './host-values';
import { RankCounter, type RetrievalRanks } from './rank-counter';

/** Progress of a blocked computation: blocks done so far out of the total planned. */
export type BlockProgress = (done: number, total: number) => void;

export interface StreamingRanksOptions {
  /** Side of a score block: at most blockSize × blockSize scores exist at once. Default: 1024. */
  blockSize?: number;
  /** Equal scores: lower index first (default) or higher index first. */
  lowerIndexFirst?: boolean;
  /** Called after every block (e.g. to report progress or sample memory). */
  onProgress?: BlockProgress;
}

/** 1024² float32 scores = 4 MiB per block; larger blocks make the first pass (positive blocks) cost more. */
export const DEFAULT_BLOCK_SIZE = 1024;

export function checkBlockSize(source: string, blockSize: number): number {
  if (!Number.isInteger(blockSize) || blockSize < 1) throw new Error(`${source}: blockSize must be a positive integer, got ${blockSize}`);
  return blockSize;
}

/**
 * Exact ranks from two galleries of embeddings without the full score matrix: scores are made
 * block by block (image block · text blockᵀ, one tfjs matMul each) and counted in JavaScript, so
 * memory is the galleries, a block-wise copy of the image gallery, one transposed text block and
 * one score block, whatever the number of captions.
 *
 * Two passes: the first computes only the blocks holding positive pairs (for the usual caption
 * order, the few blocks near the diagonal) to learn each image's best positive score and each
 * caption's own-image score; the second computes every block and counts, per image and per
 * caption, the candidates ordered before the positive. A block is always computed from the same
 * operands by the same call, so both passes see bit-identical scores.
 */
export function streamingRanks(gallery: EmbeddingGallery, truth: RetrievalGroundTruth, options: StreamingRanksOptions = {}): RetrievalRanks {
  const { imageEmbeddings, textEmbeddings } = gallery;
  const images = imageEmbeddings.shape[0] as number;
  const captions = textEmbeddings.shape[0] as number;
  const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
  const rowBlocks = Math.ceil(images / blockSize);
  const colBlocks = Math.ceil(captions / blockSize);
  const rowsOf = (rowBlock: number): number => Math.min(blockSize, images - rowBlock * blockSize);
  const colsOf = (colBlock: number): number => Math.min(blockSize, captions - colBlock * blockSize);
  const counter = new RankCounter(truth, images, captions, options.lowerIndexFirst ?? true);

  // Positive pairs grouped by the block holding them; key colBlock·rowBlocks + rowBlock, so
  // that sorted keys visit each text block once.
  const positivesByBlock = new Map<number, number[]>();
  const addPositive = (image: number, caption: number): void => {
    const key = Math.floor(caption / blockSize) * rowBlocks + Math.floor(image / blockSize);
    let list = positivesByBlock.get(key);
    if (!list) positivesByBlock.set(key, (list = []));
    list.push(image, caption);
  };
  for (let i = 0; i < images; i++) {
    const list = truth.img2txt[i] as ArrayLike<number>;
    for (let k = 0; k < list.length; k++) addPositive(i, list[k] as number);
  }
  for (let j = 0; j < captions; j++) addPositive(truth.txt2img[j] as number, j);
  const total = positivesByBlock.size + rowBlocks * colBlocks;
  let done = 0;

  const imageBlocks: tf.Tensor[] = [];
  let textBlock: { colBlock: number; tensor: tf.Tensor } | undefined;
  const textBlockT = (colBlock: number): tf.Tensor => {
    if (textBlock?.colBlock !== colBlock) {
      textBlock?.tensor.dispose();
      textBlock = { colBlock, tensor: transposedRowBlock(textEmbeddings, colBlock * blockSize, colsOf(colBlock)) };
    }
    return textBlock.tensor;
  };
  const scores = (rowBlock: number, colBlock: number): Float32Array => {
    // Made outside the tidy scope below, which would dispose it: it is reused across row blocks.
    const right = textBlockT(colBlock);
    return hostValues(() => tf.matMul(imageBlocks[rowBlock] as tf.Tensor, right));
  };
  try {
    for (let rowBlock = 0; rowBlock < rowBlocks; rowBlock++) imageBlocks.push(gatherRows(imageEmbeddings, rowBlock * blockSize, rowsOf(rowBlock)));
    for (const [key, pairs] of [...positivesByBlock].sort((a, b) => a[0] - b[0])) {
      const rowBlock = key % rowBlocks;
      const colBlock = Math.floor(key / rowBlocks);
      const values = scores(rowBlock, colBlock);
      const cols = colsOf(colBlock);
      for (let p = 0; p < pairs.length; p += 2) {
        const image = pairs[p] as number;
        const caption = pairs[p + 1] as number;
        counter.offer(image, caption, values[(image - rowBlock * blockSize) * cols + (caption - colBlock * blockSize)] as number);
      }
      options.onProgress?.(++done, total);
    }
    counter.checkOffered('streamingRanks');
    for (let colBlock = 0; colBlock < colBlocks; colBlock++) {
      for (let rowBlock = 0; rowBlock < rowBlocks; rowBlock++) {
        counter.countBlock(scores(rowBlock, colBlock), rowBlock * blockSize, rowsOf(rowBlock), colBlock * blockSize, colsOf(colBlock));
        options.onProgress?.(++done, total);
      }
    }
  } finally {
    tf.dispose(imageBlocks);
    textBlock?.tensor.dispose();
  }
  return counter.ranks();
}
