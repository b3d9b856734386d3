import { checkEmbeddingGallery, type EmbeddingGallery } from './embedding-input';
import { checkGroundTruth, type RetrievalGroundTruth } from './ground-truth';
import type { RetrievalRanks } from './rank-counter';
import { metricsFromRanks, type RetrievalMetrics } from './recall';
import { checkScoreMatrix, scoreMatrixRanks, type ScoreMatrix } from './score-matrix-ranks';
import { checkBlockSize, DEFAULT_BLOCK_SIZE, streamingRanks, type BlockProgress } from './streaming-ranks';
import { checkTieRule, DEFAULT_TIE_RULE, type TieRule } from './tie-rule';

/** What to rank: a score matrix in memory, or two galleries of embeddings scored block by block. */
export type RetrievalInput = ScoreMatrix | EmbeddingGallery;

export interface RetrievalOptions extends RetrievalGroundTruth {
  /** Order of equal scores; see `TieRule`. Default: 'lower-index-first'. */
  tieRule?: TieRule;
  /** Embeddings only: side of the score blocks (at most blockSize² scores at once). Default: 1024. */
  blockSize?: number;
  /** Embeddings only: called after every score block with (done, total). */
  onProgress?: BlockProgress;
}

export interface RetrievalMetricsOptions extends RetrievalOptions {
  /** Round each figure like Python `round(x, 2)`, as the paper reports. Default: true. */
  round?: boolean;
}

function isScoreMatrix(input: RetrievalInput): input is ScoreMatrix {
  return 'scores' in input;
}

/**
 * The 0-based ranks of the paper's evaluation: per image the best rank of its captions among all
 * captions (i2t), per caption the rank of its image among all images (t2i).
 */
export function retrievalRanks(input: RetrievalInput, options: RetrievalOptions): RetrievalRanks {
  const source = 'retrievalRanks';
  const tieRule = checkTieRule(source, options.tieRule ?? DEFAULT_TIE_RULE);
  if (isScoreMatrix(input)) {
    checkScoreMatrix(source, input);
    checkGroundTruth(source, options, input.images, input.captions);
    return scoreMatrixRanks(input, options, tieRule);
  }
  if (tieRule === 'numpy') {
    throw new Error(`${source}: tieRule 'numpy' sorts whole rows and needs the score matrix; pass { scores, images, captions } or use 'lower-index-first'`);
  }
  const [images, captions] = checkEmbeddingGallery(source, input);
  checkGroundTruth(source, options, images, captions);
  return streamingRanks(input, options, {
    blockSize: checkBlockSize(source, options.blockSize ?? DEFAULT_BLOCK_SIZE),
    lowerIndexFirst: tieRule === 'lower-index-first',
    onProgress: options.onProgress,
  });
}

/**
 * The paper's retrieval evaluation (`itm_eval`): R@1/5/10 in both directions and their mean,
 * rounded like Python `round(x, 2)`. From embeddings the scores are dot products computed block
 * by block, so galleries far beyond RSICD fit in memory.
 */
export function retrievalMetrics(input: RetrievalInput, options: RetrievalMetricsOptions): RetrievalMetrics {
  return metricsFromRanks(retrievalRanks(input, options), { round: options.round });
}
