/** How closely two encoders' embeddings of the same items agree. */
export interface EmbeddingAgreement {
  /** Largest |a − b| over every value. */
  maxAbsDifference: number;
  /** Cosine similarity of corresponding rows: the smallest and the mean. */
  minCosine: number;
  meanCosine: number;
}

/** Compare two [count, dim] row-major embedding arrays row by row (in double precision). */
export function embeddingAgreement(a: Float32Array, b: Float32Array, dim: number): EmbeddingAgreement {
  if (a.length !== b.length || dim <= 0 || a.length % dim !== 0) {
    throw new Error(`embeddingAgreement: arrays of ${a.length} and ${b.length} values are not the same [count, ${dim}]`);
  }
  const count = a.length / dim;
  let maxAbsDifference = 0;
  let minCosine = Infinity;
  let sum = 0;
  for (let row = 0; row < count; row++) {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let i = row * dim; i < (row + 1) * dim; i++) {
      const x = a[i] as number;
      const y = b[i] as number;
      maxAbsDifference = Math.max(maxAbsDifference, Math.abs(x - y));
      dot += x * y;
      na += x * x;
      nb += y * y;
    }
    const cosine = dot / Math.max(Math.sqrt(na * nb), 1e-30);
    minCosine = Math.min(minCosine, cosine);
    sum += cosine;
  }
  return { maxAbsDifference, minCosine: count > 0 ? minCosine : 1, meanCosine: count > 0 ? sum / count : 1 };
}
