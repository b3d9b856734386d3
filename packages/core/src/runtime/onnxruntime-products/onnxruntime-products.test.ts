import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../random/seeded-random';
import { naiveLinear } from '../../testing/naive';
import { OnnxRuntimeProducts } from './onnxruntime-products';

/** A row-major [rows, columns] matrix transposed. */
function transposed(values: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) out[c * rows + r] = values[r * columns + c] as number;
  return out;
}

describe('OnnxRuntimeProducts', () => {
  const rng = new SeededRandom('onnxruntime-products');

  it('multiplies a 2-D product with B transposed into the given output, as the definition says', () => {
    const products = new OnnxRuntimeProducts();
    const [m, k, n] = [7, 33, 5];
    const a = rng.fillNormal(m * k);
    const b = rng.fillNormal(n * k);
    const out = new Float32Array(m * n).fill(Number.NaN);
    products.multiply({ a, aShape: [m, k], b, bShape: [n, k], out, outShape: [m, n], transposeA: false, transposeB: true });
    for (let row = 0; row < m; row++) {
      for (let column = 0; column < n; column++) {
        let sum = 0;
        for (let i = 0; i < k; i++) sum += (a[row * k + i] as number) * (b[column * k + i] as number);
        expect(out[row * n + column]).toBeCloseTo(sum, 4);
      }
    }
    products.dispose();
  });

  it('names the shapes when ONNX Runtime refuses a product', () => {
    const products = new OnnxRuntimeProducts();
    const out = new Float32Array(4);
    expect(() =>
      products.multiply({ a: new Float32Array(6), aShape: [2, 3], b: new Float32Array(8), bShape: [4, 2], out, outShape: [2, 2], transposeA: false, transposeB: false }),
    ).toThrow(/^matMul on ONNX Runtime: \[2, 3\] × \[4, 2\] → \[2, 2\] failed: /);
    products.dispose();
  });

  it('rejects a thread count that is not a positive integer', () => {
    expect(() => new OnnxRuntimeProducts({ threads: 0 })).toThrow('ONNX Runtime products: threads must be a positive integer, got 0');
    expect(() => new OnnxRuntimeProducts({ threads: 1.5 })).toThrow('got 1.5');
  });

  it('gives the same products on two threads as on one, both those of the definition', () => {
    const [one, two] = [new OnnxRuntimeProducts({ threads: 1 }), new OnnxRuntimeProducts({ threads: 2 })];
    const [m, k, n] = [256, 192, 320];
    const a = rng.fillNormal(k * m);
    const b = rng.fillNormal(k * n);
    const outs = [one, two].map((products) => {
      const out = new Float32Array(m * n);
      products.multiply({ a, aShape: [k, m], b, bShape: [k, n], out, outShape: [m, n], transposeA: true, transposeB: false });
      products.dispose();
      return out;
    });
    // aᵀ·b in double precision: naiveLinear(x, W) is x·Wᵀ, so x = aᵀ [m, k] and W = bᵀ [n, k].
    const expected = naiveLinear(transposed(a, k, m), m, transposed(b, k, n), n, k);
    // float32 sums of 192 products of unit normals (|result| up to about 60): 2.3e-5 at most from the exact value here.
    for (const [label, out] of [['one thread', outs[0]], ['two threads', outs[1]]] as const) {
      let largest = 0;
      for (let i = 0; i < m * n; i++) largest = Math.max(largest, Math.abs((out![i] as number) - (expected[i] as number)));
      expect(largest, `${label} against the definition`).toBeLessThan(1e-4);
    }
    let largest = 0;
    for (let i = 0; i < m * n; i++) largest = Math.max(largest, Math.abs((outs[0]![i] as number) - (outs[1]![i] as number)));
    expect(largest).toBeLessThan(1e-4);
  });
});
