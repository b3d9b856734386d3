import { fusedModel } from './fused-model';

/**
 * Layer normalisation over the last axis: ONNX Runtime's `LayerNormalization` with a unit scale
 * gives x̂ and 1/σ in one fused pass, then `y = x̂·γ + β`. Inputs `x` [..., width], `unit` (ones
 * [width]), `weight` and `bias` [width]; outputs `y`, `normalized` (x̂) and `inverseStd` [..., 1]
 * — what the backward pass keeps.
 */
export function layerNormModel(eps: number): Uint8Array {
  return fusedModel('layer_norm', {
    inputs: ['x', 'unit', 'weight', 'bias'],
    outputs: ['y', 'normalized', 'inverseStd'],
    nodes: [
      { op: 'LayerNormalization', input: ['x', 'unit'], output: ['normalized', 'mean', 'inverseStd'], attributes: { axis: { i: -1 }, epsilon: { f: eps } } },
      { op: 'Mul', input: ['normalized', 'weight'], output: ['scaled'] },
      { op: 'Add', input: ['scaled', 'bias'], output: ['y'] },
    ],
  });
}

/**
 * The input gradient of layer normalisation from what the forward pass kept:
 * `dx = (g − mean(g) − x̂·mean(g·x̂))·(1/σ)` with `g = dy·γ`, means over the last axis.
 */
export function layerNormGradModel(): Uint8Array {
  const mean = (input: string, output: string) => ({ op: 'ReduceMean', input: [input], output: [output], attributes: { axes: { ints: [-1] }, keepdims: { i: 1 } } });
  return fusedModel('layer_norm_grad', {
    inputs: ['normalized', 'inverseStd', 'dy', 'weight'],
    outputs: ['dx'],
    nodes: [
      { op: 'Mul', input: ['dy', 'weight'], output: ['g'] },
      mean('g', 'meanG'),
      { op: 'Mul', input: ['g', 'normalized'], output: ['gx'] },
      mean('gx', 'meanGx'),
      { op: 'Sub', input: ['g', 'meanG'], output: ['centered'] },
      { op: 'Mul', input: ['normalized', 'meanGx'], output: ['projection'] },
      { op: 'Sub', input: ['centered', 'projection'], output: ['direction'] },
      { op: 'Mul', input: ['direction', 'inverseStd'], output: ['dx'] },
    ],
  });
}
