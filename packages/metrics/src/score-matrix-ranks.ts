import type { RetrievalGroundTruth } from './ground-truth';
import { numpyArgsort } from './numpy-argsort';
import { RankCounter, type RetrievalRanks } from './rank-counter';
import type { TieRule } from './tie-rule';

/** A score matrix held in memory: `scores[i·captions + j]` = score of image i with caption j. */
export interface ScoreMatrix {
  scores: Float32Array | Float64Array;
  images: number;
  captions: number;
}

/** Check the matrix's size and values (NaN has no rank); the error names the entry. */
export function checkScoreMatrix(source: string, matrix: ScoreMatrix): void {
  const { scores, images, captions } = matrix;
  for (const [name, value] of [['images', images], ['captions', captions]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${source}: ${name} must be a positive integer, got ${value}`);
  }
  if (scores.length !== images * captions) {
    throw new Error(`${source}: scores has ${scores.length} values, expected images × captions = ${images} × ${captions} = ${images * captions}`);
  }
  for (let k = 0; k < scores.length; k++) {
    const v = scores[k] as number;
    if (v !== v) throw new Error(`${source}: scores[${Math.floor(k / captions)}][${k % captions}] is NaN`);
  }
}

/** Ranks of a score matrix under any tie rule (the matrix must have passed `checkScoreMatrix`). */
export function scoreMatrixRanks(matrix: ScoreMatrix, truth: RetrievalGroundTruth, tieRule: TieRule): RetrievalRanks {
  if (tieRule === 'numpy') return numpyOrderRanks(matrix, truth);
  const { scores, images, captions } = matrix;
  const counter = new RankCounter(truth, images, captions, tieRule === 'lower-index-first');
  for (let i = 0; i < images; i++) {
    const list = truth.img2txt[i] as ArrayLike<number>;
    for (let k = 0; k < list.length; k++) counter.offer(i, list[k] as number, scores[i * captions + (list[k] as number)] as number);
  }
  for (let j = 0; j < captions; j++) {
    const image = truth.txt2img[j] as number;
    counter.offer(image, j, scores[image * captions + j] as number);
  }
  counter.countBlock(scores, 0, images, 0, captions);
  return counter.ranks();
}

/**
 * The reference's ranks exactly: per image `argsort(score)[::-1]` over its row and the best
 * position among its captions; per caption the same over its column and its image's position.
 */
function numpyOrderRanks(matrix: ScoreMatrix, truth: RetrievalGroundTruth): RetrievalRanks {
  const { scores, images, captions } = matrix;
  const i2t = new Int32Array(images);
  const t2i = new Int32Array(captions);
  const positionOf = new Int32Array(Math.max(images, captions));
  for (let i = 0; i < images; i++) {
    const order = numpyArgsort(scores.subarray(i * captions, (i + 1) * captions));
    // Reversed: descending position = count − 1 − ascending position.
    for (let p = 0; p < captions; p++) positionOf[order[p] as number] = captions - 1 - p;
    const list = truth.img2txt[i] as ArrayLike<number>;
    let best = Number.POSITIVE_INFINITY;
    for (let k = 0; k < list.length; k++) best = Math.min(best, positionOf[list[k] as number] as number);
    i2t[i] = best;
  }
  const column = new Float64Array(images);
  for (let j = 0; j < captions; j++) {
    for (let i = 0; i < images; i++) column[i] = scores[i * captions + j] as number;
    const order = numpyArgsort(column);
    const image = truth.txt2img[j] as number;
    t2i[j] = images - 1 - order.indexOf(image);
  }
  return { i2t, t2i };
}
