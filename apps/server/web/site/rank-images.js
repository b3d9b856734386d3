// Exact nearest neighbours by inner product over the gallery's embeddings (L2-normalised rows).

/**
 * The `k` rows of `embeddings` with the largest inner product with `query`, best first; equal
 * scores keep gallery order (the lower row first).
 * @param {Float32Array} embeddings [rows, dim] row-major
 * @param {number} dim
 * @param {Float32Array} query [dim]
 * @param {number} k
 * @returns {Array<{ index: number, score: number }>}
 */
export function rankImages(embeddings, dim, query, k) {
  const rows = Math.floor(embeddings.length / dim);
  /** @type {Array<{ index: number, score: number }>} */
  const best = [];
  for (let row = 0; row < rows; row++) {
    let score = 0;
    const offset = row * dim;
    for (let d = 0; d < dim; d++) score += embeddings[offset + d] * query[d];
    if (best.length === k && score <= best[k - 1].score) continue;
    // Insert after every entry at least as good: best first, earlier rows first among equals.
    let at = best.length;
    while (at > 0 && best[at - 1].score < score) at--;
    best.splice(at, 0, { index: row, score });
    if (best.length > k) best.pop();
  }
  return best;
}
