import { fusedModel } from './fused-model';

/** QuickGELU's constant: x·sigmoid(1.702·x). */
export const QUICK_GELU_ALPHA = 1.702;

/** `y = x·sigmoid(1.702·x)`: ONNX Runtime's `com.microsoft.QuickGelu`, one pass. */
export function quickGeluModel(): Uint8Array {
  return fusedModel('quick_gelu', {
    inputs: ['x'],
    outputs: ['y'],
    nodes: [{ op: 'QuickGelu', domain: 'com.microsoft', input: ['x'], output: ['y'], attributes: { alpha: { f: QUICK_GELU_ALPHA } } }],
  });
}

/** `dx = dy·(s + 1.702·x·s·(1 − s))` with `s = sigmoid(1.702·x)`, written `dy·s·(1 + a·(1 − s))`, `a = 1.702·x`. */
export function quickGeluGradModel(): Uint8Array {
  return fusedModel('quick_gelu_grad', {
    inputs: ['x', 'dy'],
    outputs: ['dx'],
    constants: { alpha: QUICK_GELU_ALPHA, one: 1 },
    nodes: [
      { op: 'Mul', input: ['x', 'alpha'], output: ['a'] },
      { op: 'Sigmoid', input: ['a'], output: ['s'] },
      { op: 'Sub', input: ['one', 's'], output: ['complement'] },
      { op: 'Mul', input: ['a', 'complement'], output: ['slope'] },
      { op: 'Add', input: ['slope', 'one'], output: ['factor'] },
      { op: 'Mul', input: ['s', 'factor'], output: ['derivative'] },
      { op: 'Mul', input: ['derivative', 'dy'], output: ['dx'] },
    ],
  });
}

/** Exact GELU `y = x·Φ(x)`: ONNX Runtime's `com.microsoft.Gelu` (erf form), one pass. */
export function geluModel(): Uint8Array {
  return fusedModel('gelu', { inputs: ['x'], outputs: ['y'], nodes: [{ op: 'Gelu', domain: 'com.microsoft', input: ['x'], output: ['y'] }] });
}

/** `dx = dy·(Φ(x) + x·φ(x))`, Φ(x) = ½(1 + erf(x/√2)), φ(x) = exp(−x²/2)/√(2π). */
export function geluGradModel(): Uint8Array {
  return fusedModel('gelu_grad', {
    inputs: ['x', 'dy'],
    outputs: ['dx'],
    constants: { inverseSqrtTwo: Math.SQRT1_2, half: 0.5, one: 1, minusHalf: -0.5, inverseSqrtTwoPi: 1 / Math.sqrt(2 * Math.PI) },
    nodes: [
      { op: 'Mul', input: ['x', 'inverseSqrtTwo'], output: ['scaled'] },
      { op: 'Erf', input: ['scaled'], output: ['erf'] },
      { op: 'Add', input: ['erf', 'one'], output: ['erfPlusOne'] },
      { op: 'Mul', input: ['erfPlusOne', 'half'], output: ['cdf'] },
      { op: 'Mul', input: ['x', 'x'], output: ['square'] },
      { op: 'Mul', input: ['square', 'minusHalf'], output: ['exponent'] },
      { op: 'Exp', input: ['exponent'], output: ['gaussian'] },
      { op: 'Mul', input: ['gaussian', 'inverseSqrtTwoPi'], output: ['pdf'] },
      { op: 'Mul', input: ['x', 'pdf'], output: ['xPdf'] },
      { op: 'Add', input: ['cdf', 'xPdf'], output: ['derivative'] },
      { op: 'Mul', input: ['derivative', 'dy'], output: ['dx'] },
    ],
  });
}
