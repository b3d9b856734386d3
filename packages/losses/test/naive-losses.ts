/**
 * Double-precision loops that restate each loss from its formula (no tfjs), so tests compare the
 * tensor code against an independent computation and take finite differences without float32 noise.
 * Embeddings are row-major [batch, dim] arrays.
 */

export interface NaivePair {
  image: ArrayLike<number>;
  text: ArrayLike<number>;
  batch: number;
  dim: number;
}

export function naiveScores({ image, text, batch, dim }: NaivePair): number[][] {
  const scores: number[][] = [];
  for (let i = 0; i < batch; i++) {
    const row: number[] = [];
    for (let j = 0; j < batch; j++) {
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += (image[i * dim + d] as number) * (text[j * dim + d] as number);
      row.push(dot);
    }
    scores.push(row);
  }
  return scores;
}

function logSoftmaxRow(row: number[]): number[] {
  const max = Math.max(...row);
  const logTotal = Math.log(row.reduce((sum, v) => sum + Math.exp(v - max), 0)) + max;
  return row.map((v) => v - logTotal);
}

export function naiveContrastive(pair: NaivePair, temperature: number, ids?: ArrayLike<number>): number {
  const { batch } = pair;
  const logits = naiveScores(pair).map((row) => row.map((v) => v / temperature));
  const id = (i: number): number => (ids ? (ids[i] as number) : i);
  const direction = (matrix: number[][]): number => {
    let total = 0;
    for (let i = 0; i < batch; i++) {
      const logProbabilities = logSoftmaxRow(matrix[i] as number[]);
      let positives = 0;
      for (let j = 0; j < batch; j++) if (id(i) === id(j)) positives += 1;
      for (let j = 0; j < batch; j++) if (id(i) === id(j)) total -= (logProbabilities[j] as number) / positives;
    }
    return total / batch;
  };
  const transposed = logits.map((_, i) => logits.map((row) => row[i] as number));
  return (direction(logits) + direction(transposed)) / 2;
}

export interface NaiveTripletOptions {
  margin: number;
  /** Weight exponent; undefined = plain hinge (VSE++). */
  gamma?: number;
  maxViolation?: boolean;
  /** Same-image pairs are not negatives when given. */
  ids?: ArrayLike<number>;
}

/** Sum of both directions' (weighted) hinge costs, not halved. */
export function naiveTripletSum(pair: NaivePair, options: NaiveTripletOptions): number {
  const { batch } = pair;
  const s = naiveScores(pair);
  const negative = (i: number, j: number): boolean => (options.ids ? options.ids[i] !== options.ids[j] : i !== j);
  const value = (c: number): number => (options.gamma === undefined ? c : (1 - Math.exp(-c)) ** options.gamma * c);
  let total = 0;
  for (let q = 0; q < batch; q++) {
    let imageQueryMax = 0;
    let textQueryMax = 0;
    for (let k = 0; k < batch; k++) {
      // Image q against caption k, and caption q against image k.
      const imageCost = negative(q, k) ? Math.max(0, options.margin + (s[q]![k] as number) - (s[q]![q] as number)) : 0;
      const textCost = negative(k, q) ? Math.max(0, options.margin + (s[k]![q] as number) - (s[q]![q] as number)) : 0;
      if (options.maxViolation) {
        imageQueryMax = Math.max(imageQueryMax, imageCost);
        textQueryMax = Math.max(textQueryMax, textCost);
      } else {
        total += value(imageCost) + value(textCost);
      }
    }
    if (options.maxViolation) total += value(imageQueryMax) + value(textQueryMax);
  }
  return total;
}

export function naiveUniformity(x: ArrayLike<number>, batch: number, dim: number, t = 2): number {
  let total = 0;
  let pairs = 0;
  for (let i = 0; i < batch; i++) {
    for (let j = i + 1; j < batch; j++) {
      let squared = 0;
      for (let d = 0; d < dim; d++) squared += ((x[i * dim + d] as number) - (x[j * dim + d] as number)) ** 2;
      total += Math.exp(-t * squared);
      pairs += 1;
    }
  }
  return Math.log(total / pairs);
}

/** Central finite differences of f at x, in double precision: one derivative per element. */
export function centralDifferences(f: (x: Float64Array) => number, x: ArrayLike<number>, step = 1e-6): Float64Array {
  const point = Float64Array.from(x);
  const gradient = new Float64Array(point.length);
  for (let k = 0; k < point.length; k++) {
    const original = point[k] as number;
    point[k] = original + step;
    const up = f(point);
    point[k] = original - step;
    const down = f(point);
    point[k] = original;
    gradient[k] = (up - down) / (2 * step);
  }
  return gradient;
}

/** Random rows of unit length, drawn from `next` (uniform in [0, 1)). */
export function randomUnitRows(next: () => number, batch: number, dim: number): Float32Array {
  const rows = new Float32Array(batch * dim);
  for (let i = 0; i < batch; i++) {
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      const v = next() * 2 - 1;
      rows[i * dim + d] = v;
      norm += v * v;
    }
    for (let d = 0; d < dim; d++) rows[i * dim + d] = (rows[i * dim + d] as number) / Math.sqrt(norm);
  }
  return rows;
}
