/** Exact top-k by dot product over a row-major matrix: the caption gallery's search. */
export interface FlatHit {
  /** Row of the matrix. */
  index: number;
  score: number;
}

/**
 * The k rows of `matrix` [rows, dim] with the highest dot product with `query` [dim], best first;
 * equal scores keep the lower row first (the retrieval metrics' default tie rule).
 */
export function flatTopK(matrix: Float32Array, dim: number, query: Float32Array, k: number): FlatHit[] {
  if (query.length !== dim) throw new Error(`flatTopK: query has ${query.length} values, rows have ${dim}`);
  if (matrix.length % dim !== 0) throw new Error(`flatTopK: matrix of ${matrix.length} values is not a whole number of ${dim}-wide rows`);
  const rows = matrix.length / dim;
  const count = Math.min(Math.max(0, Math.floor(k)), rows);
  const hits: FlatHit[] = [];
  if (count === 0) return hits;
  for (let row = 0; row < rows; row++) {
    let score = 0;
    const base = row * dim;
    for (let j = 0; j < dim; j++) score += (matrix[base + j] as number) * (query[j] as number);
    if (hits.length === count && !(score > (hits[count - 1] as FlatHit).score)) continue;
    // Insertion into the sorted list of the best so far (k is small next to rows).
    let position = hits.length === count ? count - 1 : hits.length;
    while (position > 0 && score > (hits[position - 1] as FlatHit).score) {
      hits[position] = hits[position - 1] as FlatHit;
      position -= 1;
    }
    hits[position] = { index: row, score };
  }
  return hits;
}
