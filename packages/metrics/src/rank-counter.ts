import type { RetrievalGroundTruth } from './ground-truth';

/** 0-based ranks behind the recall figures. */
export interface RetrievalRanks {
  /** Per image: the best rank among its captions when captions are ranked by score (i2t). */
  i2t: Int32Array;
  /** Per caption: the rank of its image when images are ranked by score (t2i). */
  t2i: Int32Array;
}

/**
 * Exact ranks by counting, for the index-order tie rules. Each image's best positive caption and
 * each caption's own-image score are set first (`offer`); then every score of the matrix is seen
 * once, in blocks of any shape and order (`countBlock`), and a rank is the number of candidates
 * ordered before the positive: scoring higher, or equal with an index on the winning side.
 */
export class RankCounter {
  readonly #truth: RetrievalGroundTruth;
  readonly #lowerFirst: boolean;
  /** Score and caption index of each image's best positive (NaN until offered). */
  readonly #imageBest: Float64Array;
  readonly #imageBestCaption: Int32Array;
  /** Score of each caption with its own image. */
  readonly #captionPositive: Float64Array;
  readonly #i2t: Int32Array;
  readonly #t2i: Int32Array;

  constructor(truth: RetrievalGroundTruth, images: number, captions: number, lowerIndexFirst: boolean) {
    this.#truth = truth;
    this.#lowerFirst = lowerIndexFirst;
    this.#imageBest = new Float64Array(images).fill(Number.NaN);
    this.#imageBestCaption = new Int32Array(images).fill(-1);
    this.#captionPositive = new Float64Array(captions).fill(Number.NaN);
    this.#i2t = new Int32Array(images);
    this.#t2i = new Int32Array(captions);
  }

  /** Whether caption `a` is ordered before caption `b` of equal score. */
  #before(a: number, b: number): boolean {
    return this.#lowerFirst ? a < b : a > b;
  }

  /** Record the score of a positive pair (image, caption); pairs that are no positive are ignored. */
  offer(image: number, caption: number, score: number): void {
    if (this.#truth.txt2img[caption] === image) this.#captionPositive[caption] = score;
    const list = this.#truth.img2txt[image] as ArrayLike<number>;
    let listed = false;
    for (let k = 0; k < list.length; k++) if (list[k] === caption) listed = true;
    if (!listed) return;
    const best = this.#imageBest[image] as number;
    const bestCaption = this.#imageBestCaption[image] as number;
    if (bestCaption < 0 || score > best || (score === best && this.#before(caption, bestCaption))) {
      this.#imageBest[image] = score;
      this.#imageBestCaption[image] = caption;
    }
  }

  /**
   * Count one block of scores: `values` row-major [rows, cols], image `rowStart + r` against
   * caption `colStart + c`. Every (image, caption) pair must be counted exactly once overall.
   */
  countBlock(values: ArrayLike<number>, rowStart: number, rows: number, colStart: number, cols: number): void {
    const captionPositive = this.#captionPositive;
    const txt2img = this.#truth.txt2img;
    const t2i = this.#t2i;
    const lowerFirst = this.#lowerFirst;
    for (let r = 0; r < rows; r++) {
      const image = rowStart + r;
      const best = this.#imageBest[image] as number;
      const bestCaption = this.#imageBestCaption[image] as number;
      let before = 0;
      const offset = r * cols;
      for (let c = 0; c < cols; c++) {
        const v = values[offset + c] as number;
        const caption = colStart + c;
        if (v >= best && (v > best || (lowerFirst ? caption < bestCaption : caption > bestCaption))) before += 1;
        const own = captionPositive[caption] as number;
        if (v >= own) {
          const ownImage = txt2img[caption] as number;
          if (v > own || (lowerFirst ? image < ownImage : image > ownImage)) t2i[caption] = (t2i[caption] as number) + 1;
        }
      }
      this.#i2t[image] = (this.#i2t[image] as number) + before;
    }
  }

  /** Throw unless every positive score was offered (a bug in the caller's block walk otherwise). */
  checkOffered(source: string): void {
    const missingImage = this.#imageBestCaption.indexOf(-1);
    if (missingImage >= 0) throw new Error(`${source}: no positive score seen for image ${missingImage}`);
    const missingCaption = this.#captionPositive.findIndex((v) => Number.isNaN(v));
    if (missingCaption >= 0) throw new Error(`${source}: no score seen for caption ${missingCaption} with its image`);
  }

  ranks(): RetrievalRanks {
    return { i2t: this.#i2t, t2i: this.#t2i };
  }
}
