import * as tf from '@tensorflow/tfjs-core';
import { formatHalfEven } from '@harma/core';
import { rowBlock, transposedRowBlock } from './block-scores';
import { checkEmbeddingGallery, type EmbeddingGallery } from './embedding-input';
import { hostScalar, hostValues } from './host-values';
import { checkBlockSize, DEFAULT_BLOCK_SIZE } from './streaming-ranks';

/** Geometry of the two embedding galleries, the quantities the paper's alignment argument is about. */
export interface EmbeddingDiagnostics {
  /** log mean over pairs of e^(−t‖x_i − x_j‖²) within each modality (Wang & Isola); lower = more uniform. */
  uniformity: { image: number; text: number };
  /** Mean ‖image − caption‖² over the positive pairs (Wang & Isola, α = 2); lower = better aligned. */
  alignment: number;
  /** Distance between the modality centroids, ‖mean(image) − mean(text)‖ (Liang et al., "Mind the gap"). */
  modalityGap: number;
  /** Mean cosine between distinct embeddings of one modality: how tightly each modality clusters. */
  meanPairwiseCosine: { image: number; text: number };
}

export interface DiagnosticsOptions {
  /** Image of each caption, for the alignment pairs. Default: row i of each gallery (equal counts needed). */
  txt2img?: ArrayLike<number>;
  /** Uniformity temperature. Default: 2. */
  t?: number;
  /** Rows per block of the pairwise computations. Default: 1024. */
  blockSize?: number;
}

/**
 * Uniformity of one gallery [N, D] (N ≥ 2) over all N(N−1)/2 pairs, block by block: exact in
 * memory use for any N, O(N²·D) work (sample the gallery first for very large ones).
 */
export function uniformity(embeddings: tf.Tensor, options: { t?: number; blockSize?: number } = {}): number {
  const count = embeddings.shape[0] as number;
  if (embeddings.rank !== 2 || count < 2) throw new Error(`uniformity: needs embeddings [N ≥ 2, D], got shape [${embeddings.shape}]`);
  const t = options.t ?? 2;
  if (!(t > 0) || !Number.isFinite(t)) throw new Error(`uniformity: t must be a positive finite number, got ${t}`);
  const blockSize = checkBlockSize('uniformity', options.blockSize ?? DEFAULT_BLOCK_SIZE);
  const squaredNorms = tf.tidy(() => tf.sum(tf.square(embeddings), 1));
  let total = 0;
  try {
    for (let a = 0; a < count; a += blockSize) {
      const rows = Math.min(blockSize, count - a);
      const left = rowBlock(embeddings, a, rows);
      try {
        for (let b = a; b < count; b += blockSize) {
          const cols = Math.min(blockSize, count - b);
          total += hostScalar(() => {
            const leftNorms = tf.reshape(rowBlock(squaredNorms, a, rows), [rows, 1]);
            const rightNorms = tf.reshape(rowBlock(squaredNorms, b, cols), [1, cols]);
            const distances = tf.relu(tf.sub(tf.add(leftNorms, rightNorms), tf.mul(tf.matMul(left, transposedRowBlock(embeddings, b, cols)), 2)));
            let kernel = tf.exp(tf.mul(distances, -t));
            // A diagonal block holds each pair twice and every point with itself: keep j > i only.
            if (a === b) kernel = tf.mul(kernel, tf.sub(1, tf.linalg.bandPart(tf.onesLike(kernel), -1, 0)));
            return tf.sum(kernel);
          });
        }
      } finally {
        left.dispose();
      }
    }
  } finally {
    squaredNorms.dispose();
  }
  return Math.log(total / ((count * (count - 1)) / 2));
}

/**
 * Mean cosine similarity over ordered pairs of distinct rows, (‖Σu‖² − Σ‖u‖²) / (N(N−1)) with
 * u = x/‖x‖: O(N·D), no pairwise matrix. Rows must be non-zero.
 */
export function meanPairwiseCosine(embeddings: tf.Tensor): number {
  const count = embeddings.shape[0] as number;
  if (embeddings.rank !== 2 || count < 2) throw new Error(`meanPairwiseCosine: needs embeddings [N ≥ 2, D], got shape [${embeddings.shape}]`);
  const units = (): tf.Tensor => tf.div(embeddings, tf.norm(embeddings, 'euclidean', 1, true));
  const sum = hostValues(() => tf.sum(units(), 0));
  const squaredNorms = hostScalar(() => tf.sum(tf.square(units())));
  let squaredSum = 0;
  for (const value of sum) squaredSum += value * value;
  return (squaredSum - squaredNorms) / (count * (count - 1));
}

/** ‖mean(image) − mean(text)‖ for galleries [N, D] and [M, D]. */
export function modalityGap(imageEmbeddings: tf.Tensor, textEmbeddings: tf.Tensor): number {
  return hostScalar(() => tf.norm(tf.sub(tf.mean(imageEmbeddings, 0), tf.mean(textEmbeddings, 0))));
}

/** Mean ‖image[txt2img[j]] − text[j]‖² over captions j, in blocks of captions. */
export function alignment(imageEmbeddings: tf.Tensor, textEmbeddings: tf.Tensor, txt2img: ArrayLike<number>, blockSize = DEFAULT_BLOCK_SIZE): number {
  const captions = textEmbeddings.shape[0] as number;
  if (txt2img.length !== captions) throw new Error(`alignment: txt2img has ${txt2img.length} entries for ${captions} captions`);
  const images = imageEmbeddings.shape[0] as number;
  let total = 0;
  for (let start = 0; start < captions; start += blockSize) {
    const rows = Math.min(blockSize, captions - start);
    const indices = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      const image = txt2img[start + r] as number;
      if (!Number.isInteger(image) || image < 0 || image >= images) throw new Error(`alignment: txt2img[${start + r}] = ${image} is not an image index in [0, ${images})`);
      indices[r] = image;
    }
    total += hostScalar(() => {
      const paired = tf.gather(imageEmbeddings, tf.tensor1d(indices, 'int32'));
      return tf.sum(tf.square(tf.sub(paired, rowBlock(textEmbeddings, start, rows))));
    });
  }
  return total / captions;
}

/** Every diagnostic of two galleries (see `EmbeddingDiagnostics`); reported next to recall. */
export function embeddingDiagnostics(gallery: EmbeddingGallery, options: DiagnosticsOptions = {}): EmbeddingDiagnostics {
  const [images, captions] = checkEmbeddingGallery('embeddingDiagnostics', gallery);
  let txt2img = options.txt2img;
  if (txt2img === undefined) {
    if (images !== captions) throw new Error(`embeddingDiagnostics: ${images} images and ${captions} captions: pass txt2img to pair them`);
    txt2img = Int32Array.from({ length: captions }, (_, j) => j);
  }
  const blockSize = checkBlockSize('embeddingDiagnostics', options.blockSize ?? DEFAULT_BLOCK_SIZE);
  const { imageEmbeddings, textEmbeddings } = gallery;
  return {
    uniformity: {
      image: uniformity(imageEmbeddings, { t: options.t, blockSize }),
      text: uniformity(textEmbeddings, { t: options.t, blockSize }),
    },
    alignment: alignment(imageEmbeddings, textEmbeddings, txt2img, blockSize),
    modalityGap: modalityGap(imageEmbeddings, textEmbeddings),
    meanPairwiseCosine: { image: meanPairwiseCosine(imageEmbeddings), text: meanPairwiseCosine(textEmbeddings) },
  };
}

/** The diagnostics as aligned `name  value` lines for a report (4 decimals). */
export function formatDiagnostics(diagnostics: EmbeddingDiagnostics): string {
  const lines: Array<[string, number]> = [
    ['uniformity.image', diagnostics.uniformity.image],
    ['uniformity.text', diagnostics.uniformity.text],
    ['alignment', diagnostics.alignment],
    ['modalityGap', diagnostics.modalityGap],
    ['meanPairwiseCosine.image', diagnostics.meanPairwiseCosine.image],
    ['meanPairwiseCosine.text', diagnostics.meanPairwiseCosine.text],
  ];
  const width = Math.max(...lines.map(([name]) => name.length));
  return lines.map(([name, value]) => `${name.padEnd(width)}  ${formatHalfEven(value, 4).padStart(8)}`).join('\n');
}
