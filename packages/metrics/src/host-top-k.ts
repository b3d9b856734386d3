/**
 * Dot product of row `row` of `a` and row `other` of `b`, both row-major [*, dim] on the host,
 * accumulated in double precision: the one host-side dot product (small galleries, tests).
 */
export function rowDot(a: ArrayLike<number>, row: number, b: ArrayLike<number>, other: number, dim: number): number {
  let dot = 0;
  const left = row * dim;
  const right = other * dim;
  for (let j = 0; j < dim; j++) dot += (a[left + j] as number) * (b[right + j] as number);
  return dot;
}

/** One row of a host-side top-k. */
export interface HostHit {
  /** Row of the matrix. */
  index: number;
  score: number;
}

/**
 * The k rows of `matrix` [rows, dim] with the highest dot product with `query` [dim], best first,
 * computed on the host without tensors (a caption gallery of a few thousand rows answers in well
 * under a millisecond); equal scores keep the lower row first, the default tie rule of the
 * retrieval metrics and of `streamingTopK`, its tensor counterpart for large galleries.
 */
export function hostTopK(matrix: Float32Array, dim: number, query: Float32Array, k: number): HostHit[] {
  if (query.length !== dim) throw new Error(`hostTopK: query has ${query.length} values, rows have ${dim}`);
  if (matrix.length % dim !== 0) throw new Error(`hostTopK: matrix of ${matrix.length} values is not a whole number of ${dim}-wide rows`);
  const rows = matrix.length / dim;
  const count = Math.min(Math.max(0, Math.floor(k)), rows);
  const hits: HostHit[] = [];
  if (count === 0) return hits;
  for (let row = 0; row < rows; row++) {
    const score = rowDot(matrix, row, query, 0, dim);
    if (hits.length === count && !(score > (hits[count - 1] as HostHit).score)) continue;
    // Insertion into the sorted list of the best so far (k is small next to rows).
    let position = hits.length === count ? count - 1 : hits.length;
    while (position > 0 && score > (hits[position - 1] as HostHit).score) {
      hits[position] = hits[position - 1] as HostHit;
      position -= 1;
    }
    hits[position] = { index: row, score };
  }
  return hits;
}
