/**
 * Plain double-precision reference implementations for tests: loops over arrays, no tfjs, so a
 * test compares the tensor code against an independent computation.
 */

/** x [rows, in] · Wᵀ [out, in] + b → [rows, out]. */
export function naiveLinear(x: ArrayLike<number>, rows: number, weight: ArrayLike<number>, out: number, inFeatures: number, bias?: ArrayLike<number>): Float64Array {
  const y = new Float64Array(rows * out);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < out; o++) {
      let sum = bias ? (bias[o] as number) : 0;
      for (let i = 0; i < inFeatures; i++) sum += (x[r * inFeatures + i] as number) * (weight[o * inFeatures + i] as number);
      y[r * out + o] = sum;
    }
  }
  return y;
}

/** Self-attention of one sequence set x [batch, tokens, width] with packed projections, PyTorch semantics. */
export function naiveSelfAttention(options: {
  x: ArrayLike<number>;
  batch: number;
  tokens: number;
  width: number;
  heads: number;
  inProjWeight: ArrayLike<number>;
  inProjBias: ArrayLike<number>;
  outWeight: ArrayLike<number>;
  outBias: ArrayLike<number>;
  causal?: boolean;
}): Float64Array {
  const { x, batch, tokens, width, heads, causal } = options;
  const headDim = width / heads;
  const qkv = naiveLinear(x, batch * tokens, options.inProjWeight, 3 * width, width, options.inProjBias);
  const merged = new Float64Array(batch * tokens * width);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < tokens; i++) {
        const scores: number[] = [];
        for (let j = 0; j < tokens; j++) {
          if (causal && j > i) {
            scores.push(-Infinity);
            continue;
          }
          let dot = 0;
          for (let d = 0; d < headDim; d++) {
            const q = qkv[(b * tokens + i) * 3 * width + h * headDim + d] as number;
            const k = qkv[(b * tokens + j) * 3 * width + width + h * headDim + d] as number;
            dot += q * k;
          }
          scores.push(dot / Math.sqrt(headDim));
        }
        const max = Math.max(...scores);
        const exps = scores.map((s) => Math.exp(s - max));
        const total = exps.reduce((a, c) => a + c, 0);
        for (let d = 0; d < headDim; d++) {
          let sum = 0;
          for (let j = 0; j < tokens; j++) sum += ((exps[j] as number) / total) * (qkv[(b * tokens + j) * 3 * width + 2 * width + h * headDim + d] as number);
          merged[(b * tokens + i) * width + h * headDim + d] = sum;
        }
      }
    }
  }
  return naiveLinear(merged, batch * tokens, options.outWeight, width, width, options.outBias);
}

/** erf by its Maclaurin series (|x| ≤ 3) or continued fraction (beyond), accurate to ~1e-15. */
export function referenceErf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  if (a <= 3) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 200; n++) {
      term *= (-a * a) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17) break;
    }
    return sign * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc continued fraction (Lentz), converges fast for large x.
  let f = a;
  for (let k = 60; k >= 1; k--) f = a + k / 2 / f;
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
  return sign * (1 - erfc);
}
